#include "store/wal_checkpointer.hpp"

#include <utility>

namespace reportd::store {

Result<std::unique_ptr<WalCheckpointer>> WalCheckpointer::start(Db& db, const std::string& path, int pages,
                                                                OnDone on_done) {
  Result<Db> own = Db::open(path);
  if (!own.ok()) return std::move(own).status().with_context("checkpoint connection");
  // A connection opens the WAL when it first reads; until then it would
  // checkpoint nothing (and say the database is not in WAL mode).
  if (Status st = own->exec("SELECT count(*) FROM sqlite_schema", "checkpoint connection"); !st.ok()) return st;
  std::unique_ptr<WalCheckpointer> c(new WalCheckpointer(db, std::move(own).value(), pages, std::move(on_done)));
  // Replaces SQLite's own hook (sqlite3_wal_autocheckpoint): from here on,
  // commits on `db` never checkpoint by themselves.
  sqlite3_wal_hook(db.get(), &WalCheckpointer::on_commit, c.get());
  return c;
}

WalCheckpointer::WalCheckpointer(Db& db, Db own, int pages, OnDone on_done)
    : db_(db), own_(std::move(own)), pages_(pages), on_done_(std::move(on_done)), thread_([this] { loop(); }) {}

WalCheckpointer::~WalCheckpointer() {
  sqlite3_wal_autocheckpoint(db_.get(), pages_);  // SQLite's hook again
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

int WalCheckpointer::checkpoints() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return done_;
}

// On the store thread, inside the commit (after it is durable): no work
// here beyond waking the thread.
int WalCheckpointer::on_commit(void* self, sqlite3* /*db*/, const char* /*name*/, int pages) {
  auto* c = static_cast<WalCheckpointer*>(self);
  if (pages < c->pages_) return SQLITE_OK;
  {
    std::lock_guard<std::mutex> lock(c->mutex_);
    c->wanted_ = true;
  }
  c->wake_.notify_one();
  return SQLITE_OK;
}

void WalCheckpointer::loop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return wanted_ || stop_; });
      if (stop_) return;
      wanted_ = false;
    }
    CheckpointDone done = checkpoint();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++done_;
    }
    if (on_done_) on_done_(done);
  }
}

CheckpointDone WalCheckpointer::checkpoint() {
  CheckpointDone d;
  const auto began = std::chrono::steady_clock::now();
  int rc = sqlite3_wal_checkpoint_v2(own_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &d.wal_pages, &d.copied_pages);
  d.took = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - began);
  // Busy: another connection (a CLI closing the database) checkpoints; the
  // next commit past the mark wakes this thread again.
  if (rc != SQLITE_OK && rc != SQLITE_BUSY) d.status = own_.error("checkpoint");
  return d;
}

}  // namespace reportd::store
