#include "jobs/render/scratch.hpp"
#include "table/wipe.hpp"

#include <linux/magic.h>
#include <sys/mman.h>
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
  return Status::error(ErrorKind::kIo, "scratch: " + std::string(what) + ": " + std::strerror(errno));
}

}  // namespace

std::string default_tmpdir(std::string_view configured) {
  if (!configured.empty()) return std::string(configured);
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

ScratchFile::ScratchFile(int fd, std::string filename, std::string content_type, Scratch* owner)
    : fd_(fd), filename_(std::move(filename)), content_type_(std::move(content_type)), owner_(owner) {}

ScratchFile::~ScratchFile() { dispose(); }

void ScratchFile::unmap() {
  if (map_ != nullptr) ::munmap(map_, map_size_);
  map_ = nullptr;
  map_size_ = 0;
}

Status ScratchFile::append(std::string_view bytes) {
  if (fd_ < 0) return Status::error(ErrorKind::kInternal, "scratch: append after dispose");
  if (Status st = owner_->charge(size_, size_ + bytes.size()); !st.ok()) {
    return std::move(st).with_context(filename_);
  }
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

Status ScratchFile::account_external_writes() {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return io_error("stat " + filename_);
  auto new_size = static_cast<std::uint64_t>(st.st_size);
  unmap();
  if (Status s = owner_->charge(size_, new_size); !s.ok()) {
    size_ = new_size;  // so that dispose() zeroes everything written
    return std::move(s).with_context(filename_);
  }
  size_ = new_size;
  return {};
}

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

std::string ScratchFile::path() const { return "/proc/self/fd/" + std::to_string(fd_); }

void ScratchFile::dispose() {
  if (fd_ < 0) return;
  unmap();
  // Zero before freeing: the pages go back to the kernel either way, but a
  // core dump or a stray mapping must never see report data after the run.
  // Window by window, so zeroing a large output does not map it all at once.
  constexpr std::uint64_t kWindow = 1 << 20;
  for (std::uint64_t off = 0; off < size_; off += kWindow) {
    std::uint64_t len = std::min(kWindow, size_ - off);
    void* p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, static_cast<off_t>(off));
    if (p == MAP_FAILED) break;
    wipe_bytes(p, len);
    ::munmap(p, len);
  }
  if (size_ > 0) (void)::ftruncate(fd_, 0);
  ::close(fd_);
  fd_ = -1;
  if (owner_ != nullptr && owner_->used_ >= size_) owner_->used_ -= size_;
  size_ = 0;
}

Result<std::unique_ptr<Scratch>> Scratch::open(const ScratchOptions& options) {
  std::string dir = default_tmpdir(options.tmpdir);
  if (Status st = check_memory_backed(dir); !st.ok()) return st;
  return std::unique_ptr<Scratch>(new Scratch(options.cap_bytes, std::move(dir)));
}

Scratch::~Scratch() { dispose(); }

Result<ScratchFile*> Scratch::create(std::string filename, std::string content_type) {
  int fd = ::memfd_create("reportd-scratch", MFD_CLOEXEC);
  if (fd < 0) return io_error("memfd_create");
  files_.push_back(std::make_unique<ScratchFile>(fd, std::move(filename), std::move(content_type), this));
  return files_.back().get();
}

Status Scratch::charge(std::uint64_t old_size, std::uint64_t new_size) {
  std::uint64_t next = used_ - old_size + new_size;
  if (next > cap_) {
    return Status::error(ErrorKind::kLimit,
                         "outputs exceed the scratch cap of " + std::to_string(cap_) +
                             " bytes per run (raise render.scratch_cap or narrow the query)",
                         "scratch-cap");
  }
  used_ = next;
  return {};
}

void Scratch::dispose() {
  for (auto& f : files_) f->dispose();
  used_ = 0;
}

}  // namespace reportd::render
