// The PDF table geometry: orientation and column widths from measured text.
#include "jobs/render/pdf_layout.hpp"

#include <doctest/doctest.h>

#include <numeric>

namespace reportd::render {
namespace {

double sum(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); }

TEST_CASE("pdf layout: narrow columns keep their natural widths, portrait") {
  TableGeometry g = plan_table({{60, 40}, {120, 50}, {50, 50}});
  CHECK_FALSE(g.landscape);
  CHECK(g.widths == std::vector<double>{60, 120, 50});
}

TEST_CASE("pdf layout: columns wider than portrait turn the page") {
  TableGeometry g = plan_table({{200, 40}, {200, 40}, {200, 40}});
  CHECK(g.landscape);
  CHECK(g.widths == std::vector<double>{200, 200, 200});
}

TEST_CASE("pdf layout: too wide for landscape: short columns keep theirs, long ones share") {
  TableGeometry g = plan_table({{40, 40}, {260, 60}, {260, 60}, {260, 60}, {50, 50}});
  CHECK(g.landscape);
  CHECK(sum(g.widths) == doctest::Approx(usable_width(true)));
  CHECK(g.widths[0] == 40);
  CHECK(g.widths[4] == 50);
  CHECK(g.widths[1] == doctest::Approx(g.widths[2]));
  CHECK(g.widths[1] < 260);
  CHECK(g.widths[1] >= 60);
}

TEST_CASE("pdf layout: more columns than fit at their minimum share the page equally") {
  std::vector<ColumnMeasure> many(40, ColumnMeasure{100, 50});
  TableGeometry g = plan_table(many);
  CHECK(g.landscape);
  CHECK(sum(g.widths) == doctest::Approx(usable_width(true)));
  CHECK(g.widths.front() == doctest::Approx(usable_width(true) / 40));
}

TEST_CASE("pdf layout: widths are clamped to the column bounds") {
  TableGeometry g = plan_table({{2, 1}, {1000, 10}});
  CHECK(g.widths[0] == kMinColumnWidth);
  CHECK(g.widths[1] == kMaxColumnWidth);
}

}  // namespace
}  // namespace reportd::render
