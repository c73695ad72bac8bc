#pragma once
// Zeroing what held customer data or secrets before its memory is freed
// (DESIGN.md §4.5): explicit_bzero, which the compiler may not elide.

#include <string.h>  // explicit_bzero

#include <string>

namespace reportd {

// Zeroes the whole allocation of `s` (its capacity, not only its size) and
// clears it. The allocation is kept; shrink or destroy it afterwards.
inline void wipe(std::string& s) {
  if (s.capacity() != 0) explicit_bzero(s.data(), s.capacity());
  s.clear();
}

// Zeroes then releases the allocation of `s`.
inline void wipe_and_free(std::string& s) {
  wipe(s);
  std::string().swap(s);
}

}  // namespace reportd
