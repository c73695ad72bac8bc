#include "jobs/render/pdf_layout.hpp"

#include <algorithm>
#include <numeric>

namespace reportd::render {
namespace {

double clamp_width(double w) { return std::clamp(w, kMinColumnWidth, kMaxColumnWidth); }

double total(const std::vector<double>& widths) {
  return std::accumulate(widths.begin(), widths.end(), 0.0);
}

// Columns whose wish is at most a fair share of what is left keep it; the
// others split the rest equally, repeated until nothing changes.
std::vector<double> water_fill(const std::vector<double>& wish, double room) {
  std::vector<double> out(wish.size(), 0);
  std::vector<bool> fixed(wish.size(), false);
  std::size_t open = wish.size();
  bool changed = true;
  while (changed && open > 0) {
    changed = false;
    double share = room / static_cast<double>(open);
    for (std::size_t i = 0; i < wish.size(); ++i) {
      if (fixed[i] || wish[i] > share) continue;
      out[i] = wish[i];
      fixed[i] = true;
      room -= wish[i];
      --open;
      changed = true;
    }
  }
  if (open == 0) return out;
  double share = std::max(room, 0.0) / static_cast<double>(open);
  for (std::size_t i = 0; i < wish.size(); ++i) {
    if (!fixed[i]) out[i] = share;
  }
  return out;
}

}  // namespace

double usable_width(bool landscape) {
  return (landscape ? kA4Landscape.width : kA4Portrait.width) - 2 * kPageMargin;
}

TableGeometry plan_table(const std::vector<ColumnMeasure>& columns) {
  TableGeometry g;
  std::vector<double> natural;
  std::vector<double> minimum;
  for (const ColumnMeasure& c : columns) {
    natural.push_back(clamp_width(c.natural));
    minimum.push_back(std::min(clamp_width(c.minimum), clamp_width(c.natural)));
  }
  if (total(natural) <= usable_width(false)) {
    g.widths = std::move(natural);
    return g;
  }
  g.landscape = true;
  const double room = usable_width(true);
  if (total(natural) <= room) {
    g.widths = std::move(natural);
    return g;
  }
  if (total(minimum) >= room) {
    // Too many columns for their words: every column gets a fair share of
    // the page (long words then break inside).
    g.widths = water_fill(minimum, room);
    return g;
  }
  // Each column gets its minimum; what is left goes to the columns that
  // want more, water-filled over what they want beyond it.
  std::vector<double> extra(natural.size());
  for (std::size_t i = 0; i < natural.size(); ++i) extra[i] = natural[i] - minimum[i];
  std::vector<double> add = water_fill(extra, room - total(minimum));
  g.widths.resize(natural.size());
  for (std::size_t i = 0; i < natural.size(); ++i) g.widths[i] = minimum[i] + add[i];
  return g;
}

}  // namespace reportd::render
