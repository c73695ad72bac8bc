#include "store/wal_syncer.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "store/sqlite_store.hpp"
#include "store/store_thread.hpp"

namespace reportd::store {
namespace {

namespace asio = boost::asio;

constexpr auto kRethrowHeld = [](std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
};

// A holding gate: every call "wrote"; release_all() lets them go home with
// `durable`.
struct HoldAll final : CompletionGate {
  std::uint64_t mark() override { return 0; }
  bool hold(std::uint64_t, std::unique_ptr<Held>& held) override {
    std::lock_guard<std::mutex> lock(m);
    held_.push_back(std::move(held));
    cv.notify_all();
    return true;
  }
  // Waits (with a deadline, no sleeping) until `n` calls are held.
  bool holding(std::size_t n) {
    std::unique_lock<std::mutex> lock(m);
    return cv.wait_for(lock, std::chrono::seconds(30), [&] { return held_.size() == n; });
  }
  void release_all(const Status& durable) {
    std::lock_guard<std::mutex> lock(m);
    for (auto& h : held_) h->release(durable);
    held_.clear();
  }
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::unique_ptr<Held>> held_;
};

template <class R, class F>
asio::awaitable<void> await_held(OffloadThread* t, F fn, std::optional<R>* out) {
  auto op = t->run(std::move(fn));
  out->emplace(co_await std::move(op));
}

TEST_CASE("offload: a gate holds results until released; a failed sync turns an ok Status or Result into it") {
  asio::io_context io;
  HoldAll gate;
  std::optional<Status> ok_status, failed_status;
  std::optional<Result<int>> ok_result;
  std::optional<int> plain;
  {
    OffloadThread t;
    t.set_gate(&gate);
    asio::co_spawn(io, await_held(&t, [] { return Status(); }, &ok_status), kRethrowHeld);
    asio::co_spawn(io, await_held(&t, [] { return Status::error(ErrorKind::kNotFound, "own"); }, &failed_status),
                   kRethrowHeld);
    asio::co_spawn(io, await_held(&t, [] { return Result<int>(7); }, &ok_result), kRethrowHeld);
    asio::co_spawn(io, await_held(&t, [] { return 5; }, &plain), kRethrowHeld);
    io.poll();  // the four coroutines make their calls
    // The calls ran; nothing went home while the gate holds them.
    REQUIRE(gate.holding(4));
    CHECK(t.outstanding() == 4);
    io.poll();
    CHECK_FALSE(ok_status.has_value());
    gate.release_all(Status::error(ErrorKind::kIo, "sync the store's WAL: Input/output error"));
    io.run();
  }
  REQUIRE(ok_status.has_value());
  CHECK(ok_status->kind() == ErrorKind::kIo);
  CHECK(failed_status->kind() == ErrorKind::kNotFound);  // its own error stays
  CHECK(ok_result->status().kind() == ErrorKind::kIo);
  CHECK(*plain == 5);  // not a Status: as it was
}

// A daemon's store on a real file (fdatasync on tmpfs is cheap, but real).
struct SyncedStoreFile {
  SyncedStoreFile() {
    dir = std::filesystem::temp_directory_path() / ("reportd-sync-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    auto s = SqliteStore::open((dir / "reportd.db").string());
    REQUIRE(s.ok());
    store = std::move(s).value();
  }
  ~SyncedStoreFile() {
    store.reset();
    std::filesystem::remove_all(dir);
  }
  std::filesystem::path dir;
  std::unique_ptr<SqliteStore> store;
};

asio::awaitable<void> write_daemon_state(StoreThread* t, int n, Status* out) {
  DaemonState d;
  d.pid = n;
  d.status = "running";
  auto op = t->run([d](Store& s) { return s.put_daemon_state(d); });
  *out = co_await std::move(op);
}

asio::awaitable<void> read_daemon_state(StoreThread* t, std::int64_t* pid) {
  auto op = t->run([](Store& s) { return s.get_daemon_state(); });
  auto got = co_await std::move(op);
  *pid = got.ok() && *got ? (*got)->pid : -1;
}

TEST_CASE("store: group commit holds each write until a sync covers it, and lets reads go at once") {
  SyncedStoreFile f;
  REQUIRE(f.store->sync_in_background().ok());
  auto* syncer = dynamic_cast<WalSyncer*>(f.store->completion_gate());
  REQUIRE(syncer != nullptr);
  asio::io_context io;
  std::vector<Status> written(20);
  std::int64_t pid = 0;
  {
    StoreThread t(*f.store);
    for (int i = 0; i < 20; ++i) asio::co_spawn(io, write_daemon_state(&t, i + 1, &written[i]), kRethrowHeld);
    io.run();
    // Twenty writes, each sent home by a sync; several share one when they
    // queue up behind it.
    CHECK(syncer->released() == 20);
    CHECK(syncer->syncs() >= 1);
    CHECK(syncer->syncs() <= 20);
    io.restart();
    asio::co_spawn(io, read_daemon_state(&t, &pid), kRethrowHeld);
    io.run();
  }
  for (const auto& st : written) CHECK(st.ok());
  CHECK(pid == 20);
  CHECK(syncer->released() == 20);  // the read was not held
  // The connection commits without its own sync now.
  Stmt q(f.store->db(), "PRAGMA synchronous");
  REQUIRE(q.step());
  CHECK(q.int64(0) == 1);  // NORMAL
}

TEST_CASE("store: a failed WAL sync answers what it covered as committed, says so, and turns FULL back on") {
  SyncedStoreFile f;
  std::atomic<bool> fail_next{false};
  std::atomic<int> syncs_called{0};
  std::mutex m;
  std::vector<std::string> reported;  // guarded by m
  WalSyncer::Options o;
  o.sync_fd = [&](int fd) {
    ++syncs_called;
    if (fail_next.exchange(false)) {
      errno = EIO;
      return -1;
    }
    return ::fdatasync(fd);
  };
  o.on_failed = [&](const Status& st) {
    std::lock_guard<std::mutex> lock(m);
    reported.push_back(st.message());
  };
  REQUIRE(f.store->sync_in_background(std::move(o)).ok());
  auto* syncer = dynamic_cast<WalSyncer*>(f.store->completion_gate());
  REQUIRE(syncer != nullptr);
  asio::io_context io;
  auto write = [&](StoreThread& t, int pid) {
    Status st = Status::error(ErrorKind::kInternal, "not answered");
    asio::co_spawn(io, write_daemon_state(&t, pid, &st), kRethrowHeld);
    io.run();
    io.restart();
    return st;
  };
  std::int64_t seen = 0;
  {
    StoreThread t(*f.store);
    CHECK(write(t, 1).ok());
    CHECK(syncer->released() == 1);
    CHECK_FALSE(syncer->failed());
    // The next sync fails: the write it covered is in the WAL and readable,
    // so its caller is told it committed.
    fail_next = true;
    CHECK(write(t, 2).ok());
    CHECK(syncer->released() == 2);
    CHECK(syncer->failed());
    CHECK_FALSE(fail_next.load());  // the failure was injected, not skipped
    {
      std::lock_guard<std::mutex> lock(m);
      REQUIRE(reported.size() == 1);
      CHECK(reported[0].find("Input/output error") != std::string::npos);
      CHECK(reported[0].find("synchronous=FULL") != std::string::npos);
    }
    asio::co_spawn(io, read_daemon_state(&t, &seen), kRethrowHeld);
    io.run();
    io.restart();
    CHECK(seen == 2);
    // Later commits still work, each synced inside SQLite now: none is held
    // for the syncer, which syncs no more.
    const int called = syncs_called.load();
    for (int pid = 3; pid <= 5; ++pid) CHECK(write(t, pid).ok());
    CHECK(syncer->released() == 2);
    CHECK(syncs_called.load() == called);
  }
  {
    Stmt q(f.store->db(), "PRAGMA synchronous");
    REQUIRE(q.step());
    CHECK(q.int64(0) == 2);  // FULL
  }
  // What the caller was told is committed is in the file: a new store
  // opened on it reads the last write.
  f.store.reset();
  auto reopened = SqliteStore::open((f.dir / "reportd.db").string());
  REQUIRE(reopened.ok());
  auto state = (*reopened)->get_daemon_state();
  REQUIRE(state.ok());
  REQUIRE(state->has_value());
  CHECK((*state)->pid == 5);
  std::lock_guard<std::mutex> lock(m);
  CHECK(reported.size() == 1);  // one failure, said once
}

TEST_CASE("store: group commit is a no-op for an in-memory store") {
  auto s = SqliteStore::open(":memory:");
  REQUIRE(s.ok());
  CHECK((*s)->sync_in_background().ok());
  CHECK((*s)->completion_gate() == nullptr);
}

}  // namespace
}  // namespace reportd::store
