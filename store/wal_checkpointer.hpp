#pragma once
// WalCheckpointer: runs a SQLite store's WAL checkpoints on a thread and a
// connection of its own, so that no commit on the store thread pays for one.
// Left to SQLite, the commit that takes the WAL past 1000 pages runs the
// checkpoint itself: it copies those pages into the database file and syncs
// both files before it returns. That commit may be a delivery's `sent`,
// whose every millisecond is one in which a kill makes a duplicate, and
// every write queued behind it waits too. Here a commit only wakes the
// thread; the checkpoint (PASSIVE: it never waits for readers or writers)
// runs beside the writes that follow.
//
// Owned by SqliteStore (SqliteStore::checkpoint_in_background()); the daemon
// turns it on, the CLI keeps SQLite's own. Thread-safe: the hook runs on the
// store thread, the checkpoint on this one, `on_done` on this one.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "store/sqlite_db.hpp"
#include "table/status.hpp"

namespace reportd::store {

// One checkpoint, as it ended.
struct CheckpointDone {
  int wal_pages = 0;         // the WAL's pages when it started (-1: unknown)
  int copied_pages = 0;      // of which now in the database file (-1: unknown)
  std::chrono::microseconds took{0};
  Status status;             // SQLITE_BUSY (another process checkpointing) is ok
};

class WalCheckpointer {
 public:
  using OnDone = std::function<void(const CheckpointDone&)>;

  // Opens a second connection to the database at `path` and takes over
  // `db`'s automatic checkpoints: a commit that leaves `pages` or more in the
  // WAL wakes the thread. `db` must outlive the checkpointer and must not be
  // used while start() runs. `on_done` (may be empty) hears of each
  // checkpoint, on the checkpointer's thread.
  static Result<std::unique_ptr<WalCheckpointer>> start(Db& db, const std::string& path, int pages,
                                                        OnDone on_done);
  // Ends the thread (after the checkpoint under way, if any) and gives `db`
  // SQLite's automatic checkpoints back.
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Checkpoints run so far (for tests).
  int checkpoints() const;

 private:
  WalCheckpointer(Db& db, Db own, int pages, OnDone on_done);
  static int on_commit(void* self, sqlite3* db, const char* name, int pages);
  void loop();
  CheckpointDone checkpoint();

  Db& db_;
  Db own_;  // used on thread_ only
  const int pages_;
  OnDone on_done_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool wanted_ = false;  // guarded by mutex_
  bool stop_ = false;    // guarded by mutex_
  int done_ = 0;         // guarded by mutex_
  std::thread thread_;   // last: starts once the rest is built
};

}  // namespace reportd::store
