#include "store/wal_checkpointer.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "store/sqlite_store.hpp"

namespace reportd::store {
namespace {

// A WAL database with one table, in a directory of its own.
struct WalFile {
  explicit WalFile(const std::string& name) {
    dir = std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    path = (dir / "t.db").string();
    auto opened = Db::open(path);
    REQUIRE(opened.ok());
    db = std::move(opened).value();
    REQUIRE(db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE t (x BLOB)", "set up").ok());
  }
  ~WalFile() {
    db = Db();
    std::filesystem::remove_all(dir);
  }
  // One commit of about one page.
  void commit_a_page() { REQUIRE(db.exec("INSERT INTO t VALUES (zeroblob(3000))", "insert").ok()); }
  std::uintmax_t wal_bytes() const { return std::filesystem::file_size(path + "-wal"); }

  std::filesystem::path dir;
  std::string path;
  Db db;
};

// What the checkpointer reported, awaited with a deadline (no sleeping).
struct Heard {
  std::mutex m;
  std::condition_variable cv;
  std::optional<CheckpointDone> done;
  std::thread::id on;
  WalCheckpointer::OnDone callback() {
    return [this](const CheckpointDone& d) {
      std::lock_guard<std::mutex> lock(m);
      done = d;
      on = std::this_thread::get_id();
      cv.notify_all();
    };
  }
  bool wait() {
    std::unique_lock<std::mutex> lock(m);
    return cv.wait_for(lock, std::chrono::seconds(30), [this] { return done.has_value(); });
  }
};

TEST_CASE("store: a commit past the mark is checkpointed on the checkpointer's thread, never inside the commit") {
  WalFile f("reportd-ckpt");
  Heard heard;
  auto c = WalCheckpointer::start(f.db, f.path, 64, heard.callback());
  REQUIRE(c.ok());
  for (int i = 0; i < 2; ++i) f.commit_a_page();  // a few WAL frames each
  CHECK((*c)->checkpoints() == 0);                 // under the mark: no wake-up
  for (int i = 0; i < 64; ++i) f.commit_a_page();
  REQUIRE(heard.wait());
  std::lock_guard<std::mutex> lock(heard.m);
  CHECK(heard.on != std::this_thread::get_id());
  CHECK(heard.done->status.ok());
  CHECK(heard.done->wal_pages >= 64);
  // Commits went on beside it, so it may stop short of the WAL's end.
  CHECK(heard.done->copied_pages > 0);
  CHECK(heard.done->copied_pages <= heard.done->wal_pages);
}

TEST_CASE("store: with the checkpointer the commits leave the WAL to it; without it SQLite checkpoints again") {
  WalFile f("reportd-ckpt-bound");
  {
    // Its thread is kept from checkpointing by a reader holding a snapshot:
    // the WAL only grows, so no commit checkpointed by itself.
    auto reader_db = Db::open(f.path);
    REQUIRE(reader_db.ok());
    REQUIRE(reader_db->exec("BEGIN; SELECT count(*) FROM t;", "read").ok());
    auto c = WalCheckpointer::start(f.db, f.path, 8, nullptr);
    REQUIRE(c.ok());
    for (int i = 0; i < 60; ++i) f.commit_a_page();
    CHECK(f.wal_bytes() > 60 * 4096);
    REQUIRE(reader_db->exec("COMMIT", "end read").ok());
  }
  // The checkpointer gone, SQLite's own hook is back at the same mark: the
  // first commit checkpoints the WAL, the next ones restart it from the
  // start, so it stops growing (200 commits unchecked: 600 more pages).
  const auto before = f.wal_bytes();
  for (int i = 0; i < 200; ++i) f.commit_a_page();
  CHECK(f.wal_bytes() < before + 8 * 4096);
}

TEST_CASE("store: checkpoints in the background are a no-op for an in-memory store") {
  auto s = SqliteStore::open(":memory:");
  REQUIRE(s.ok());
  CHECK((*s)->checkpoint_in_background(nullptr).ok());
}

}  // namespace
}  // namespace reportd::store
