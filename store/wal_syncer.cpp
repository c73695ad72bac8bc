#include "store/wal_syncer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace reportd::store {

Result<std::unique_ptr<WalSyncer>> WalSyncer::start(Db& db, const std::string& wal_path, Options options) {
  const int fd = ::open(wal_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status::error(ErrorKind::kIo, "open " + wal_path + " to sync it: " + std::strerror(errno));
  }
  if (!options.sync_fd) options.sync_fd = [](int f) { return ::fdatasync(f); };
  return std::unique_ptr<WalSyncer>(new WalSyncer(db, fd, std::move(options)));
}

WalSyncer::WalSyncer(Db& db, int fd, Options options)
    : db_(db), fd_(fd), options_(std::move(options)), thread_([this] { loop(); }) {}

WalSyncer::~WalSyncer() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
  ::close(fd_);
}

std::uint64_t WalSyncer::mark() {
  if (failed_.load() && !full_) {
    (void)db_.exec("PRAGMA synchronous=FULL", "group commit off after a failed sync");
    full_ = true;
  }
  if (!normal_) {
    // Between calls: no transaction is open. Should it fail, FULL stays and
    // the syncs below are merely redundant.
    (void)db_.exec("PRAGMA synchronous=NORMAL", "group commit");
    normal_ = true;
  }
  return static_cast<std::uint64_t>(sqlite3_total_changes64(db_.get()));
}

// A call that changed rows committed them (or rolled them back: then the
// wait is merely unneeded).
bool WalSyncer::hold(std::uint64_t before, std::unique_ptr<Held>& held) {
  if (full_) return false;  // the commit synced itself
  if (static_cast<std::uint64_t>(sqlite3_total_changes64(db_.get())) == before) return false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stop_) return false;
    waiting_.push_back(std::move(held));
  }
  wake_.notify_one();
  return true;
}

void WalSyncer::loop() {
  for (;;) {
    std::vector<std::unique_ptr<Held>> batch;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return !waiting_.empty() || stop_; });
      if (waiting_.empty()) return;  // stopping, nothing held
      batch.swap(waiting_);
    }
    // Every call in `batch` wrote its frames before it was handed over, so
    // this one sync covers them all, and any written since. A failure is
    // answered as the header says: committed, and FULL from now on. Only
    // the first failure is said: calls held before FULL took over may meet
    // the same failing disk here once more.
    if (Status st = sync(); !st.ok()) {
      if (!failed_.exchange(true) && options_.on_failed) options_.on_failed(st);
    }
    ++syncs_;
    released_ += batch.size();
    for (auto& held : batch) held->release(Status());
  }
}

Status WalSyncer::sync() {
  if (options_.sync_fd(fd_) == 0) return Status();
  return Status::error(ErrorKind::kIo, std::string("sync the store's WAL: ") + std::strerror(errno) +
                                           "; commits sync themselves from now on (synchronous=FULL)");
}

}  // namespace reportd::store
