#pragma once
// The page geometry of a PDF table (pdf_renderer.hpp), as pure functions of
// measured text widths: which orientation a table needs and how wide each
// column is. Points (1/72 inch); A4. Pure; any thread.

#include <cstddef>
#include <vector>

namespace reportd::render {

struct PageSize {
  double width = 0;
  double height = 0;
};

inline constexpr PageSize kA4Portrait{595.28, 841.89};
inline constexpr PageSize kA4Landscape{841.89, 595.28};
inline constexpr double kPageMargin = 36;  // half an inch on every side

// What a column's text measured: `natural` is its widest single line
// (header and sampled cells, padding included); `minimum` is the narrowest
// it may become by wrapping (its longest word, capped).
struct ColumnMeasure {
  double natural = 0;
  double minimum = 0;
};

struct TableGeometry {
  bool landscape = false;
  std::vector<double> widths;  // one per column, summing to at most the usable width
};

// Narrowest and widest a column may be, in points.
inline constexpr double kMinColumnWidth = 28;
inline constexpr double kMaxColumnWidth = 260;

// Portrait when the natural widths fit across a portrait page, else
// landscape; when they do not fit there either, columns narrower than a fair
// share keep their width and the rest share what is left equally (water
// filling), never below their minimum while room remains.
TableGeometry plan_table(const std::vector<ColumnMeasure>& columns);

// The width text may use on a page of that orientation.
double usable_width(bool landscape);

}  // namespace reportd::render
