#include "jobs/render/xlsx_renderer.hpp"

#include <doctest/doctest.h>

#include <array>

#include "jobs/render/sample_table.hpp"

namespace reportd::render {
namespace {

TEST_CASE("xlsx: a workbook lands in scratch as a zip file") {
  auto s = Scratch::open({});
  REQUIRE(s.ok());
  XlsxRenderer r(**s, {});
  REQUIRE(emit_sample_table(r, 10).ok());
  REQUIRE(r.finish().ok());
  auto v = (*s)->outputs().at(0)->view();
  REQUIRE(v.ok());
  CHECK(v->substr(0, 2) == "PK");
  CHECK((*s)->used_bytes() == v->size());
}

TEST_CASE("xlsx: the scratch cap also bounds the workbook") {
  ScratchOptions o;
  o.cap_bytes = 1000;
  auto s = Scratch::open(o);
  REQUIRE(s.ok());
  XlsxRenderer r(**s, {});
  REQUIRE(emit_sample_table(r, 2000).ok());
  CHECK(r.finish().kind() == ErrorKind::kLimit);
}

TEST_CASE("xlsx: no table still gives a valid workbook") {
  auto s = Scratch::open({});
  REQUIRE(s.ok());
  XlsxRenderer r(**s, {});
  REQUIRE(r.finish().ok());
  CHECK((*s)->outputs().at(0)->size() > 0);
}

TEST_CASE("xlsx: a text over Excel's cell limit is cut visibly and counted, not dropped") {
  auto s = Scratch::open({});
  REQUIRE(s.ok());
  XlsxRenderer r(**s, {});
  REQUIRE(r.begin({"T", {{"a", "A", table::CellType::kString}}}).ok());
  std::string big(40000, 'y');
  std::array<table::Cell, 1> row{table::Cell::string(big)};
  REQUIRE(r.row(row).ok());
  REQUIRE(r.end({1, false}).ok());
  REQUIRE(r.finish().ok());
  CHECK(r.cut_cells() == 1);
}

}  // namespace
}  // namespace reportd::render
