#pragma once
// Scratch: the memory-only home of one run's rendered outputs (DESIGN.md §4.5).
// Each output is a memfd (MFD_CLOEXEC), charged against a per-run byte cap and
// zeroed when the Scratch is disposed or destroyed. Bytes written by a library
// (the XLSX writer's temp files in the run's own tmpdir, and the workbook it
// writes on close) count too, as they grow. Every byte charged is also
// reserved from the process-wide ScratchBudget, if any. Over either cap a
// write fails kPermanent with code "too-large". With several nodes, the run
// also holds a grant of the cluster's budget (set_grant): a write past it
// fails kTransient with code "scratch-step" (the run takes a larger step
// and fetches again). Not thread-safe: one run.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jobs/render/scratch_budget.hpp"
#include "table/status.hpp"

namespace reportd::render {

struct ScratchOptions {
  // The most bytes all outputs of one run may hold together.
  std::uint64_t cap_bytes = 256ull << 20;
  // A memory-backed directory (tmpfs/ramfs) under which each run makes its
  // own directory for the XLSX writer's temp files.
  // Empty: $REPORTD_SCRATCH_DIR (the unit's sized tmpfs), else
  // $RUNTIME_DIRECTORY (systemd's tmpfs), else /dev/shm.
  std::string tmpdir;
  // Shared by every run of the process (null: no global cap). Must outlive the Scratch.
  ScratchBudget* budget = nullptr;
  // A dry run's --out directory. When it is memory-backed too, each output
  // is made there as an unnamed file (O_TMPFILE) and publish() links it
  // under its name at the end: the bytes are written once, never copied.
  // On a disk the outputs stay memfds and publish() copies them, so a run
  // that fails leaves nothing of its data on the disk.
  std::string out_dir;
};

// The error of a write over a cap: kPermanent, code "too-large".
inline constexpr const char* kTooLargeCode = "too-large";
// The error of a write past the run's grant of the cluster's budget.
inline constexpr const char* kScratchStepCode = "scratch-step";

// One memfd (or an unnamed file in a memory-backed out_dir). Appends are
// charged against the owning Scratch's cap.
// Overwrites the first `size` bytes of the file `fd` with zeros (from one
// static block, no mapping): how scratch files and the XLSX writer's temp
// files are wiped before they are freed.
void zero_file(int fd, std::uint64_t size);

class ScratchFile {
 public:
  ScratchFile(int fd, std::string filename, std::string content_type, class Scratch* owner,
              bool unnamed_in_out_dir = false);
  ~ScratchFile();
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;

  // Appends bytes; fails "too-large" when a cap would be exceeded.
  Status append(std::string_view bytes);
  // A read-only view of the whole content, valid until the next append or
  // until the file is disposed.
  Result<std::string_view> view();
  // "/proc/self/fd/N": the file's name while it is open.
  std::string path() const;
  // Writes the whole content to the file `out_fd` (at its offset) inside the
  // kernel (sendfile): no mapping, no copy through this process.
  Status send_to(int out_fd) const;
  // Puts the whole content at `path`, a new file (an existing file or a
  // symlink there is never written through; mode 0600): an unnamed file in
  // the out_dir is linked there, a memfd is copied (send_to). A published
  // file is the caller's: dispose() closes it without zeroing it.
  Status publish(const std::string& path);
  // True when the content lives in an unnamed file in ScratchOptions::out_dir.
  bool in_out_dir() const { return in_out_dir_; }

  std::uint64_t size() const { return size_; }
  const std::string& filename() const { return filename_; }
  const std::string& content_type() const { return content_type_; }
  // Overwrites the content with zeros, frees it and closes the fd.
  void dispose();

 private:
  void unmap();

  int fd_ = -1;
  std::string filename_;
  std::string content_type_;
  Scratch* owner_;
  std::uint64_t size_ = 0;
  std::uint64_t charged_ = 0;  // what the owner counts for this file
  void* map_ = nullptr;
  std::uint64_t map_size_ = 0;
  bool in_out_dir_ = false;
  bool published_ = false;
};

// The per-run scratch: owns every output file and the byte budget.
class Scratch {
 public:
  // Validates the tmpdir (must exist and be tmpfs/ramfs) and makes the
  // run's own directory in it (mode 0700), removed on destruction.
  static Result<std::unique_ptr<Scratch>> open(const ScratchOptions& options);
  ~Scratch();
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  // A new, empty output. `filename` is what a recipient sees.
  Result<ScratchFile*> create(std::string filename, std::string content_type);
  const std::vector<std::unique_ptr<ScratchFile>>& outputs() const { return files_; }
  // The run's own directory: give it to libraries that write temp files.
  const std::string& tmpdir() const { return tmpdir_; }
  // Bytes held now by files under tmpdir() that this process has open
  // (the XLSX writer unlinks its temp files at once, so they are found
  // through /proc/self/fd, not by name).
  std::uint64_t tmpdir_bytes() const;
  // Charges what tmpdir() holds now in place of what was charged for it
  // before; fails "too-large" over a cap (the bytes stay counted).
  Status account_tmpdir();
  // Charges `bytes` that a library is about to write in one call we cannot
  // watch (the XLSX workbook's close), so the caps hold during that call.
  Status reserve(std::uint64_t bytes);
  // Gives back every reservation.
  void release_reserved();

  std::uint64_t used_bytes() const { return used_; }
  // The most used_bytes() ever was in this Scratch.
  std::uint64_t high_water_bytes() const { return high_water_; }
  std::uint64_t cap_bytes() const { return cap_; }
  // The bytes this run holds of the cluster's scratch budget (store/
  // admission.hpp); growth past them fails "scratch-step". 0: none.
  void set_grant(std::uint64_t bytes) { grant_ = bytes; }
  std::uint64_t grant_bytes() const { return grant_; }
  // Zeroes and closes every output. Idempotent; the destructor calls it.
  void dispose();

 private:
  friend class ScratchFile;
  Scratch(std::uint64_t cap, std::string tmpdir, ScratchBudget* budget, std::string out_dir)
      : cap_(cap), tmpdir_(std::move(tmpdir)), budget_(budget), out_dir_(std::move(out_dir)) {}
  // Moves a charge from `old_size` to `new_size` bytes; growing fails over a cap.
  Status charge(std::uint64_t old_size, std::uint64_t new_size);

  std::uint64_t cap_;
  std::uint64_t used_ = 0;
  std::uint64_t high_water_ = 0;
  std::uint64_t tmpdir_charged_ = 0;
  std::uint64_t reserved_ = 0;
  std::uint64_t grant_ = 0;
  std::string tmpdir_;
  ScratchBudget* budget_;
  std::string out_dir_;  // memory-backed: outputs are made here (ScratchOptions::out_dir)
  std::vector<std::unique_ptr<ScratchFile>> files_;
};

// The directory scratch would use for `configured` (see ScratchOptions::tmpdir).
std::string default_tmpdir(std::string_view configured);
// Ok when `dir` is a directory on tmpfs or ramfs.
Status check_memory_backed(const std::string& dir);

}  // namespace reportd::render
