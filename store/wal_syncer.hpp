#pragma once
// WalSyncer: group commit for the daemon's SQLite store. With
// synchronous=FULL every commit syncs the WAL inside itself, on the store
// thread, so a delivery's `sent` queued behind another run's write waits for
// that write's fsync too (the `queue_us` of mail.sent). Here the store's
// connection runs with synchronous=NORMAL, so a commit only writes its
// frames into the WAL (which already survives SIGKILL: recovery reads the
// WAL file), and this thread syncs the WAL for every commit written since
// its last sync at once. The store thread goes on with the next call
// meanwhile; a call that wrote gets its result only after the sync that
// covers it, so what a caller is told is committed is still on disk after
// a power loss, as with FULL.
//
// It is the StoreThread's CompletionGate (offload_thread.hpp): it sees a
// call wrote by the connection's change count.
//
// A sync that fails cannot take back what it covered: those commits are in
// the WAL and every reader sees them, so failing their calls would tell a
// caller "not done" of a row that is there (a claim retried would then find
// its own occurrence claimed). They are answered as committed, and from the
// next call on the connection goes back to synchronous=FULL for good: each
// commit syncs itself inside SQLite again, so a disk that keeps failing
// fails the commits themselves, as without group commit, and the daemon
// reports the store unhealthy. What the failed sync covered may be lost at
// a power loss before the disk takes writes again (as with FULL, where a
// commit whose sync failed may come back at the next start). The first
// failure goes to Options::on_failed (the daemon logs it at error priority).
//
// Owned by SqliteStore (SqliteStore::sync_in_background()); the daemon
// turns it on, the CLI keeps FULL. synchronous=NORMAL is set at the first
// call through the gate, on the store thread, so a store whose thread never
// uses it keeps FULL.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/offload_thread.hpp"
#include "store/sqlite_db.hpp"
#include "table/status.hpp"

namespace reportd::store {

class WalSyncer final : public CompletionGate {
 public:
  struct Options {
    // Hears of the first failed sync (its errno, as a Status), on the
    // syncer's thread. May be empty.
    std::function<void(const Status&)> on_failed;
    // Syncs the WAL's descriptor: 0 or -1 with errno, as fdatasync(2),
    // which it is unless a test fails it.
    std::function<int(int fd)> sync_fd;
  };

  // Opens `wal_path` (the database's WAL file, which `db` in WAL mode has
  // made) for syncing. `db` must outlive the syncer.
  static Result<std::unique_ptr<WalSyncer>> start(Db& db, const std::string& wal_path,
                                                  Options options = {});
  // Syncs and releases what is still held, then ends the thread.
  ~WalSyncer() override;
  WalSyncer(const WalSyncer&) = delete;
  WalSyncer& operator=(const WalSyncer&) = delete;

  std::uint64_t mark() override;
  bool hold(std::uint64_t before, std::unique_ptr<Held>& held) override;

  // For tests and figures: syncs run, and calls released by them.
  std::uint64_t syncs() const { return syncs_.load(); }
  std::uint64_t released() const { return released_.load(); }
  // A sync failed: FULL from the next call on.
  bool failed() const { return failed_.load(); }

 private:
  WalSyncer(Db& db, int fd, Options options);
  void loop();
  Status sync();

  Db& db_;
  const int fd_;
  const Options options_;
  bool normal_ = false;  // store thread only
  bool full_ = false;    // store thread only: back to FULL after a failure
  std::atomic<bool> failed_{false};
  std::atomic<std::uint64_t> syncs_{0};
  std::atomic<std::uint64_t> released_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::unique_ptr<Held>> waiting_;  // guarded by mutex_
  bool stop_ = false;                           // guarded by mutex_
  std::thread thread_;  // last: starts once the rest is built
};

}  // namespace reportd::store
