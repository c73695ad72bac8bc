#include "jobs/render/scratch.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace reportd::render {
namespace {

Status io_error(std::string_view what) {
  return Status::error(ErrorKind::kIo,
                       "scratch: " + std::string(what) + ": " + std::strerror(errno));
}

Status too_large(std::string what) {
  return Status::error(ErrorKind::kPermanent, std::move(what), kTooLargeCode);
}

}  // namespace

std::string default_tmpdir(std::string_view configured) {
  if (!configured.empty()) return std::string(configured);
  // The unit's own sized tmpfs (systemd/reportd.service).
  if (const char* sd = std::getenv("REPORTD_SCRATCH_DIR"); sd != nullptr && *sd != '\0') {
    return sd;
  }
  // systemd's RuntimeDirectory= is a tmpfs; the variable may list several.
  if (const char* rd = std::getenv("RUNTIME_DIRECTORY"); rd != nullptr && *rd != '\0') {
    std::string s(rd);
    return s.substr(0, s.find(':'));
  }
  return "/dev/shm";
}

Status check_memory_backed(const std::string& dir) {
  struct statfs fs {};
  if (::statfs(dir.c_str(), &fs) != 0) return io_error("tmpdir " + dir);
  if (fs.f_type != TMPFS_MAGIC && fs.f_type != RAMFS_MAGIC) {
    return Status::error(ErrorKind::kInvalidArgument,
                         "scratch: tmpdir " + dir +
                             " is not memory-backed (tmpfs or ramfs); set it to a tmpfs "
                             "directory such as the service's RuntimeDirectory");
  }
  return {};
}

ScratchFile::ScratchFile(int fd, std::string filename, std::string content_type, Scratch* owner,
                         bool unnamed_in_out_dir)
    : fd_(fd),
      filename_(std::move(filename)),
      content_type_(std::move(content_type)),
      owner_(owner),
      in_out_dir_(unnamed_in_out_dir) {}

ScratchFile::~ScratchFile() { dispose(); }

void ScratchFile::unmap() {
  if (map_ != nullptr) ::munmap(map_, map_size_);
  map_ = nullptr;
  map_size_ = 0;
}

Status ScratchFile::append(std::string_view bytes) {
  if (fd_ < 0) return Status::error(ErrorKind::kInternal, "scratch: append after dispose");
  if (Status st = owner_->charge(charged_, size_ + bytes.size()); !st.ok()) {
    return std::move(st).with_context(filename_);
  }
  charged_ = size_ + bytes.size();
  unmap();
  while (!bytes.empty()) {
    ssize_t n = ::pwrite(fd_, bytes.data(), bytes.size(), static_cast<off_t>(size_));
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("write " + filename_);
    }
    size_ += static_cast<std::uint64_t>(n);
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

// For a large output about a third of the CPU of write() from the mapped view,
// which faults each page of the mapping in (200 MiB: 0.08 s against 0.23 s).
Status ScratchFile::send_to(int out_fd) const {
  if (fd_ < 0) return Status::error(ErrorKind::kInternal, "scratch: send after dispose");
  off_t at = 0;
  while (static_cast<std::uint64_t>(at) < size_) {
    const ssize_t n = ::sendfile(out_fd, fd_, &at,
                                 static_cast<std::size_t>(size_ - static_cast<std::uint64_t>(at)));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return io_error("send " + filename_);
  }
  return {};
}

Status ScratchFile::publish(const std::string& path) {
  if (fd_ < 0) return Status::error(ErrorKind::kInternal, "scratch: publish after dispose");
  auto refused = [&path](int err) {
    return Status::error(
        ErrorKind::kIo, "cannot create " + path + ": " + std::strerror(err) +
                            (err == EEXIST ? "; remove it or choose another --out directory" : ""));
  };
  if (in_out_dir_) {
    // linkat never replaces a name (EEXIST), and the name is a new link to
    // this very inode: a symlink planted at `path` is not followed.
    if (::linkat(AT_FDCWD, this->path().c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW) != 0)
      return refused(errno);
    published_ = true;
    return {};
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return refused(errno);
  bool ok = send_to(fd).ok();
  ok = ::close(fd) == 0 && ok;
  if (!ok) return Status::error(ErrorKind::kIo, "cannot write " + path);
  return {};
}

std::string ScratchFile::path() const { return "/proc/self/fd/" + std::to_string(fd_); }

Result<std::string_view> ScratchFile::view() {
  if (fd_ < 0) return Status::error(ErrorKind::kInternal, "scratch: view after dispose");
  if (size_ == 0) return std::string_view();
  if (map_ == nullptr) {
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd_, 0);
    if (p == MAP_FAILED) return io_error("map " + filename_);
    map_ = p;
    map_size_ = size_;
  }
  return std::string_view(static_cast<const char*>(map_), size_);
}

// Written over with zeros from one static block, not mapped and memset: the
// same pages end up zero without a page fault per 4 KiB of output (about
// half of what disposing a large CSV cost).
void zero_file(int fd, std::uint64_t size) {
  static const char kZeros[64 * 1024] = {};
  for (std::uint64_t off = 0; off < size;) {
    const std::size_t len =
        static_cast<std::size_t>(std::min<std::uint64_t>(sizeof kZeros, size - off));
    const ssize_t n = ::pwrite(fd, kZeros, len, static_cast<off_t>(off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    off += static_cast<std::uint64_t>(n);
  }
}

void ScratchFile::dispose() {
  if (fd_ < 0) return;
  unmap();
  if (!published_) {
    // Zero before freeing: the pages go back to the kernel either way, but a
    // core dump or a stray mapping must never see report data after the run.
    zero_file(fd_, size_);
    // A failed truncate changes nothing: the pages are wiped and the memfd is
    // closed next. (A (void) cast does not quiet glibc's warn_unused_result.)
    if (size_ > 0 && ::ftruncate(fd_, 0) != 0) size_ = 0;
  }
  ::close(fd_);
  fd_ = -1;
  if (owner_ != nullptr) (void)owner_->charge(charged_, 0);
  charged_ = 0;
  size_ = 0;
}

Result<std::unique_ptr<Scratch>> Scratch::open(const ScratchOptions& options) {
  std::string dir = default_tmpdir(options.tmpdir);
  if (Status st = check_memory_backed(dir); !st.ok()) return st;
  std::string run_dir = dir + "/reportd-run-XXXXXX";
  if (::mkdtemp(run_dir.data()) == nullptr) return io_error("make a run directory in " + dir);
  // Outputs go straight into the out_dir only when it is memory-backed too.
  std::string out_dir;
  if (!options.out_dir.empty() && check_memory_backed(options.out_dir).ok())
    out_dir = options.out_dir;
  return std::unique_ptr<Scratch>(
      new Scratch(options.cap_bytes, std::move(run_dir), options.budget, std::move(out_dir)));
}

Scratch::~Scratch() {
  dispose();
  ::rmdir(tmpdir_.c_str());  // empty: the XLSX writer unlinks its files as it makes them
}

std::uint64_t Scratch::tmpdir_bytes() const {
  DIR* fds = ::opendir("/proc/self/fd");
  if (fds == nullptr) return 0;
  const std::string prefix = tmpdir_ + "/";
  std::uint64_t total = 0;
  char link[4096];
  while (const dirent* e = ::readdir(fds)) {
    if (e->d_name[0] == '.') continue;
    ssize_t n = ::readlinkat(::dirfd(fds), e->d_name, link, sizeof link);
    if (n <= 0 || static_cast<std::size_t>(n) >= sizeof link) continue;
    if (std::string_view(link, static_cast<std::size_t>(n)).rfind(prefix, 0) != 0) continue;
    struct stat st {};
    // Follows the link to the (unlinked) file itself.
    if (::fstatat(::dirfd(fds), e->d_name, &st, 0) == 0 && S_ISREG(st.st_mode)) {
      total += static_cast<std::uint64_t>(st.st_size);
    }
  }
  ::closedir(fds);
  return total;
}

Status Scratch::account_tmpdir() {
  std::uint64_t now = tmpdir_bytes();
  Status st = charge(tmpdir_charged_, now);
  if (!st.ok()) {
    // The bytes exist whether or not they fit: keep them counted, and keep
    // the budget in step with what this Scratch will release.
    if (now > tmpdir_charged_) {
      std::uint64_t over = now - tmpdir_charged_;
      if (budget_ == nullptr || budget_->reserve(over)) {
        used_ += over;
        high_water_ = std::max(high_water_, used_);
        tmpdir_charged_ = now;
      }
    }
    return std::move(st).with_context("temp files");
  }
  tmpdir_charged_ = now;
  return {};
}

Status Scratch::reserve(std::uint64_t bytes) {
  if (Status st = charge(reserved_, reserved_ + bytes); !st.ok()) return st;
  reserved_ += bytes;
  return {};
}

void Scratch::release_reserved() {
  (void)charge(reserved_, 0);
  reserved_ = 0;
}

Result<ScratchFile*> Scratch::create(std::string filename, std::string content_type) {
  // An unnamed file in the out_dir, or a memfd when there is none or the
  // file system has no O_TMPFILE.
  int fd = out_dir_.empty() ? -1 : ::open(out_dir_.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  const bool in_out_dir = fd >= 0;
  if (fd < 0) fd = ::memfd_create("reportd-scratch", MFD_CLOEXEC);
  if (fd < 0) return io_error("memfd_create");
  files_.push_back(std::make_unique<ScratchFile>(fd, std::move(filename), std::move(content_type),
                                                 this, in_out_dir));
  return files_.back().get();
}

Status Scratch::charge(std::uint64_t old_size, std::uint64_t new_size) {
  if (new_size <= old_size) {
    std::uint64_t freed = std::min(old_size - new_size, used_);
    used_ -= freed;
    if (budget_ != nullptr) budget_->release(freed);
    return {};
  }
  std::uint64_t more = new_size - old_size;
  if (used_ + more > cap_) {
    return too_large("the run's outputs would pass " + std::to_string(cap_) +
                     " bytes, the per-run cap (limits.scratch_max_bytes): narrow the query, or "
                     "raise limits.scratch_max_bytes in the config file");
  }
  if (grant_ != 0 && used_ + more > grant_) {
    return Status::error(ErrorKind::kTransient,
                         "the run's outputs would pass the " + std::to_string(grant_) +
                             " bytes it holds of the nodes' shared scratch budget "
                             "(limits.scratch_budget_bytes) before it took more",
                         kScratchStepCode);
  }
  if (budget_ != nullptr && !budget_->reserve(more)) {
    return too_large("all runs' outputs together would pass " + std::to_string(budget_->cap()) +
                     " bytes, the scratch budget of the daemon (limits.scratch_budget_bytes; " +
                     std::to_string(budget_->used()) +
                     " bytes held by runs now): run it at a quieter time, lower "
                     "limits.max_concurrent_runs, or raise limits.scratch_budget_bytes");
  }
  used_ += more;
  high_water_ = std::max(high_water_, used_);
  return {};
}

void Scratch::dispose() {
  for (auto& f : files_) f->dispose();
  release_reserved();
  (void)charge(tmpdir_charged_, 0);
  tmpdir_charged_ = 0;
  if (budget_ != nullptr) budget_->release(used_);
  used_ = 0;
}

}  // namespace reportd::render
