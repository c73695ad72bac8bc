#pragma once
// A double as printf("%.16G") writes it (libxlsxwriter's number format, kept
// for the XLSX's <v> cells), without printf or Ryu's printf mode. Integers
// and numbers from 1E-4 up to 1E16 are computed exactly in 128-bit integers;
// others go through std::to_chars(general, 16). Any thread.

#include <cstddef>

namespace reportd::render {

// The longest text write_g16() writes ("-1.234567890123456E-308").
inline constexpr std::size_t kG16TextMax = 32;

// Writes the text of `v` at `out` (room for kG16TextMax bytes); returns the
// end. NaN and infinities are written as to_chars writes them.
char* write_g16(char* out, double v);

}  // namespace reportd::render
