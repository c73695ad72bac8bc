#pragma once
// One raw deflate stream on Intel ISA-L's igzip (isal_deflate), fed in
// pieces and drained in blocks: about 3.6x zlib's speed at zlib's fastest
// level, with a slightly better ratio (measured on sheet XML).
// ISA-L has no allocator hook: its state and history window live in the
// stream struct and its hash tables and pending tokens (literals of recent
// input) in the level buffer, both allocated here and wiped by wipe() and the
// destructor, so no plaintext is left in freed memory.
// Not thread-safe; one run's thread.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "table/status.hpp"

namespace reportd::render {

class Igzip {
 public:
  // igzip's levels are 0-3. On the sheet XML of 100,000 Opportunity rows
  // (49.8 MiB), fed in 128 KiB writes: level 1 13.3% of the input at
  // 1,054 MiB/s, level 2 13.2% at 1,016, level 3 12.8% at 313; zlib's
  // level 1 14.2% at 282 (README, session 11).
  static constexpr unsigned kLevel = 2;
  // How a write() ends the data it was given: kNone leaves it pending; kSync
  // ends it on a byte-aligned, non-final block (the stream can go on, or be
  // joined to another); kFinal ends the stream with its final block.
  enum class Flush { kNone, kSync, kFinal };

  // `level` 0-3 (out of range: 3); the higher, the smaller and slower.
  explicit Igzip(unsigned level = kLevel);
  ~Igzip();
  Igzip(const Igzip&) = delete;
  Igzip& operator=(const Igzip&) = delete;

  // Compresses all of `in` (not used after the call) and hands the output to
  // `sink(std::string_view) -> Status` in pieces of at most block.size().
  // After kFinal the stream is ended: no write() after it.
  template <class Sink>
  Status write(std::string_view in, Flush flush, std::span<unsigned char> block, Sink&& sink) {
    do {
      const std::size_t take = std::min(in.size(), kMaxFeed);
      feed(in.substr(0, take), take == in.size() ? flush : Flush::kNone);
      in.remove_prefix(take);
      bool more = true;
      while (more) {
        std::size_t have = 0;
        if (Status st = step(block, have, more); !st.ok()) return st;
        if (have == 0) continue;
        if (Status st = sink(std::string_view(reinterpret_cast<const char*>(block.data()), have));
            !st.ok()) {
          return st;
        }
      }
    } while (!in.empty());
    return {};
  }

  // The CRC-32 (zip's and zlib's) of `data` continued from `crc` (0 to start).
  static std::uint32_t crc32(std::uint32_t crc, std::string_view data);

  // Zeroes the stream's state, history and level buffer; the stream is ended.
  void wipe();
  // The memory that holds recent plaintext, for tests of wipe().
  std::span<const unsigned char> state_bytes() const;
  std::span<const unsigned char> level_bytes() const;

 private:
  struct State;
  static constexpr std::size_t kMaxFeed = std::size_t{1} << 30;  // avail_in is 32-bit

  void feed(std::string_view in, Flush flush);
  // One call of isal_deflate into `block`: `have` bytes came out; `more` is
  // whether the input or the flush is not yet all out.
  Status step(std::span<unsigned char> block, std::size_t& have, bool& more);

  std::unique_ptr<State> state_;
  std::unique_ptr<unsigned char[]> level_buf_;
  std::size_t level_size_ = 0;
  Flush flush_ = Flush::kNone;
};

}  // namespace reportd::render
