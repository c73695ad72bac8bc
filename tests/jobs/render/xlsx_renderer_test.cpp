#include "jobs/render/xlsx_renderer.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>

#include "jobs/render/sample_table.hpp"

namespace reportd::render {
namespace {

// Text that does not compress: the temp files hold compressed rows.
std::string noise(std::size_t n, std::uint64_t& seed) {
  std::string s(n, ' ');
  for (char& c : s) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    c = static_cast<char>('!' + (seed >> 33) % 90);
  }
  return s;
}

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

TEST_CASE("xlsx: the scratch cap bounds the temp files as rows arrive, not at finish") {
  ScratchOptions o;
  o.cap_bytes = 200 * 1024;
  auto s = Scratch::open(o);
  REQUIRE(s.ok());
  std::uint64_t peak_seen = 0;
  {
    XlsxRenderer r(**s, {});
    REQUIRE(r.begin({"T", {{"a", "A", table::CellType::kString}}}).ok());
    std::uint64_t seed = 1;
    Status st;
    std::uint64_t rows = 0;
    while (st.ok() && rows < 100000) {
      std::string text = noise(100, seed);
      std::array<table::Cell, 1> row{table::Cell::string(text)};
      st = r.row(row);
      ++rows;
      peak_seen = std::max(peak_seen, (*s)->tmpdir_bytes());
    }
    CHECK(st.code() == "too-large");
    CHECK(st.kind() == ErrorKind::kPermanent);
    CHECK(rows < 5000);  // 200 KiB of ~90-byte compressed rows: it stopped near the cap
    CHECK((*s)->used_bytes() > 100 * 1024);  // the temp file was charged as it grew
    // Over by at most what is written between two looks (plus stdio's buffer).
    CHECK(peak_seen <= o.cap_bytes + 2 * XlsxRenderer::kCheckBytes);
    CHECK((*s)->high_water_bytes() <= o.cap_bytes + 2 * XlsxRenderer::kCheckBytes);
  }
  // The failed workbook was freed, not written: its temp files are gone.
  CHECK((*s)->tmpdir_bytes() == 0);
  CHECK((*s)->outputs().at(0)->size() == 0);
}

TEST_CASE("xlsx: closing the workbook needs room for its output beside the temp files") {
  ScratchOptions o;
  o.cap_bytes = 1 << 20;
  auto s = Scratch::open(o);
  REQUIRE(s.ok());
  XlsxRenderer r(**s, {});
  REQUIRE(r.begin({"T", {{"a", "A", table::CellType::kString}}}).ok());
  // Over half the cap of compressed rows: they fit while rows arrive, not twice over.
  std::uint64_t seed = 7;
  while ((*s)->tmpdir_bytes() < o.cap_bytes * 6 / 10) {
    std::string text = noise(1000, seed);
    std::array<table::Cell, 1> row{table::Cell::string(text)};
    REQUIRE(r.row(row).ok());
  }
  REQUIRE(r.end({1, false}).ok());
  REQUIRE((*s)->tmpdir_bytes() < o.cap_bytes);
  Status st = r.finish();
  CHECK(st.code() == "too-large");
  CHECK((*s)->high_water_bytes() <= o.cap_bytes);
}

TEST_CASE("xlsx: a finished workbook holds only its output; the temp files are gone") {
  auto s = Scratch::open({});
  REQUIRE(s.ok());
  XlsxRenderer r(**s, {});
  REQUIRE(emit_sample_table(r, 3000).ok());
  CHECK((*s)->tmpdir_bytes() > 0);
  REQUIRE(r.finish().ok());
  CHECK((*s)->tmpdir_bytes() == 0);
  CHECK((*s)->used_bytes() == (*s)->outputs().at(0)->size());
  CHECK((*s)->high_water_bytes() > (*s)->used_bytes());
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
