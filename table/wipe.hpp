#pragma once
// Zeroing what held customer data or secrets before its memory is freed
// (DESIGN.md §4.5): explicit_bzero, which the compiler may not elide. The one
// way reportd zeroes memory: never std::fill or memset, which it may.

#include <string.h>  // explicit_bzero

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

namespace reportd {

// Zeroes `n` bytes at `p`.
inline void wipe_bytes(void* p, std::size_t n) {
  if (p != nullptr && n != 0) explicit_bzero(p, n);
}

// Zeroes the whole allocation of `s` (its capacity, not only its size) and
// clears it. The allocation is kept; shrink or destroy it afterwards.
inline void wipe(std::string& s) {
  wipe_bytes(s.data(), s.capacity());
  s.clear();
}

// Wipes `s` when it goes out of scope, on every way out: for a string that
// may be moved from (then only its empty inline buffer is zeroed).
struct WipeAtExit {
  std::string& s;
  explicit WipeAtExit(std::string& str) : s(str) {}
  WipeAtExit(const WipeAtExit&) = delete;
  WipeAtExit& operator=(const WipeAtExit&) = delete;
  ~WipeAtExit() { wipe(s); }
};

// Zeroes then releases the allocation of `s`.
inline void wipe_and_free(std::string& s) {
  wipe(s);
  std::string().swap(s);
}

// Makes room for `extra` more bytes in `s` without leaving a freed copy of
// what it holds: when the allocation must grow, the bytes move to one at
// least twice as large and the old one is wiped before it is freed. Call it
// before appends whose total size is known; a plain append that outgrows the
// capacity frees the old block as it was.
inline void reserve_wiped(std::string& s, std::size_t extra) {
  if (s.capacity() - s.size() >= extra) return;
  std::string bigger;
  bigger.reserve(std::max(s.size() + extra, 2 * s.capacity()));
  bigger.append(s);
  wipe(s);
  s.swap(bigger);
}

// A malloc/free pair for C libraries with allocator hooks (zlib's window
// and state hold recent plaintext): the block's size is kept in front of it,
// so the free zeroes exactly what was handed out.
inline constexpr std::size_t kZeroingHeader = alignof(std::max_align_t);

inline void* zeroing_malloc(std::size_t n) {
  auto* block = static_cast<unsigned char*>(std::malloc(n + kZeroingHeader));
  if (block == nullptr) return nullptr;
  std::memcpy(block, &n, sizeof n);
  return block + kZeroingHeader;
}

inline void zeroing_free(void* p) {
  if (p == nullptr) return;
  auto* block = static_cast<unsigned char*>(p) - kZeroingHeader;
  std::size_t n = 0;
  std::memcpy(&n, block, sizeof n);
  wipe_bytes(p, n);
  std::free(block);
}

}  // namespace reportd
