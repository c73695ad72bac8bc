#pragma once
// The zip container of an XLSX workbook, written without libxlsxwriter.
// - DeflateTemp: one part's XML compressed as it is written (raw deflate by
//   ISA-L's igzip, igzip.hpp) into an unlinked temp file in the Scratch's
//   tmpdir, so only the compressed bytes are held while rows arrive.
// - Pieces compressed apart can form one zip entry: each piece but the last
//   ends on a sync flush (a byte-aligned, non-final block), so their deflate
//   streams join end to end; join() combines their CRC-32s and sizes.
// - ZipWriter: appends entries of known sizes to a ScratchFile (charged
//   against the Scratch's caps as it grows), then the central directory, with
//   zip64 records where a size, offset or count needs them.
// Blocking; one run's thread. Entries carry a fixed 1980-01-01 timestamp, so
// the same rows give the same bytes.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jobs/render/igzip.hpp"
#include "jobs/render/scratch.hpp"
#include "table/status.hpp"

namespace reportd::render {

// What a deflated piece holds: CRC-32 and size of its input, size of its output.
struct Deflated {
  std::uint32_t crc = 0;
  std::uint64_t in = 0;
  std::uint64_t out = 0;
};
// The sums of piece `a` followed by piece `b`.
Deflated join(const Deflated& a, const Deflated& b);

// Compresses `text` whole into `out` (appended); `final` ends the stream,
// else it ends on a sync flush so that more pieces may follow.
Result<Deflated> deflate_piece(std::string_view text, bool final, std::string& out);

class DeflateTemp {
 public:
  // An unlinked file in `dir` (the Scratch's tmpdir).
  static Result<std::unique_ptr<DeflateTemp>> open(const std::string& dir);
  ~DeflateTemp();
  DeflateTemp(const DeflateTemp&) = delete;
  DeflateTemp& operator=(const DeflateTemp&) = delete;

  // Compresses `text`; the output reaches the file in blocks of kOutBlock.
  Status write(std::string_view text);
  // Ends the piece on a sync flush (more pieces follow it in the entry) and
  // wipes and frees the compressor. No write() after.
  Status close();
  const Deflated& sums() const { return sums_; }
  // Compressed bytes in the file so far.
  std::uint64_t file_bytes() const { return sums_.out; }
  // Appends the compressed bytes to `out`, in blocks.
  Status copy_to(ScratchFile& out) const;

 private:
  static constexpr std::size_t kOutBlock = 64 * 1024;
  DeflateTemp() = default;
  Status append_file(std::string_view bytes);

  int fd_ = -1;
  std::unique_ptr<Igzip> z_;
  std::vector<unsigned char> out_;
  Deflated sums_;
};

class ZipWriter {
 public:
  explicit ZipWriter(ScratchFile& out) : out_(out) {}

  // Appends one deflated entry: its local header, then what `write_data`
  // appends to the file (exactly sums.out bytes of raw deflate).
  template <class F>
  Status add(std::string_view name, const Deflated& sums, F&& write_data) {
    if (Status st = begin_entry(name, sums); !st.ok()) return st;
    return write_data(out_);
  }
  // Compresses `text` whole and appends it as one entry.
  Status add_text(std::string_view name, std::string_view text);
  // Appends the central directory and the end records. Call once, last.
  Status finish();

 private:
  struct Entry {
    std::string name;
    Deflated sums;
    std::uint64_t offset = 0;
  };
  Status begin_entry(std::string_view name, const Deflated& sums);

  ScratchFile& out_;
  std::vector<Entry> entries_;
};

}  // namespace reportd::render
