#include "jobs/render/csv_renderer.hpp"

#include <date/tz.h>
#include <doctest/doctest.h>

#include <array>
#include <string>
#include <vector>

namespace reportd::render {
namespace {

using table::Cell;
using table::CellType;

std::string csv_of(Scratch& s, std::size_t i = 0) {
  auto v = s.outputs().at(i)->view();
  REQUIRE(v.ok());
  return std::string(*v);
}

table::TableHeader two_cols() {
  return {"T", {{"a", "A", CellType::kString}, {"b", "B", CellType::kNumber}}};
}

TEST_CASE("csv: header of labels, CRLF line ends, RFC 4180 quoting") {
  auto s = Scratch::open({});
  REQUIRE(s.ok());
  CsvRenderer r(**s, {});
  REQUIRE(r.begin(two_cols()).ok());
  std::array<Cell, 2> row{Cell::string("x, \"y\"\nz"), Cell::num(1.5, "1.5")};
  REQUIRE(r.row(row).ok());
  REQUIRE(r.end({1, false}).ok());
  CHECK(csv_of(**s) == "A,B\r\n\"x, \"\"y\"\"\nz\",1.5\r\n");
  CHECK((*s)->outputs()[0]->filename() == "report.csv");
}

TEST_CASE("csv: the formula guard quotes text that a spreadsheet would run, not numbers") {
  for (std::string_view bad : {"=1+1", "+1", "-1", "@SUM(A1)", "\tx"}) {
    auto s = Scratch::open({});
    REQUIRE(s.ok());
    CsvRenderer r(**s, {});
    REQUIRE(r.begin(two_cols()).ok());
    std::array<Cell, 2> row{Cell::string(bad), Cell::num(-5, "-5")};
    REQUIRE(r.row(row).ok());
    REQUIRE(r.end({1, false}).ok());
    CHECK(csv_of(**s) == "A,B\r\n'" + std::string(bad) + ",-5\r\n");
  }
  auto s = Scratch::open({});
  REQUIRE(s.ok());
  CsvOptions o;
  o.formula_guard = false;
  CsvRenderer r(**s, o);
  REQUIRE(r.begin(two_cols()).ok());
  std::array<Cell, 2> row{Cell::string("=1+1"), Cell::null()};
  REQUIRE(r.row(row).ok());
  REQUIRE(r.end({1, false}).ok());
  CHECK(csv_of(**s) == "A,B\r\n=1+1,\r\n");
}

TEST_CASE("csv: BOM, typed cells, datetimes in the schedule's zone") {
  auto s = Scratch::open({});
  REQUIRE(s.ok());
  CsvOptions o;
  o.bom = true;
  o.tz = date::locate_zone("Europe/Paris");
  CsvRenderer r(**s, o);
  table::TableHeader h{"T",
                       {{"d", "D", CellType::kDate},
                        {"t", "T", CellType::kDateTime},
                        {"b", "B", CellType::kBoolean}}};
  REQUIRE(r.begin(h).ok());
  // 2024-07-01T10:00:00Z is 12:00 in Paris (CEST).
  std::array<Cell, 3> row{Cell::date(19905, ""), Cell::datetime(1719828000000, ""),
                          Cell::boolean_value(true)};
  REQUIRE(r.row(row).ok());
  REQUIRE(r.end({1, false}).ok());
  CHECK(csv_of(**s) ==
        "\xEF\xBB\xBF"
        "D,T,B\r\n2024-07-01,2024-07-01T12:00:00+02:00,true\r\n");
}

TEST_CASE("csv: numbers keep their wire text, datetimes their milliseconds") {
  auto s = Scratch::open({});
  REQUIRE(s.ok());
  CsvRenderer r(**s, {});
  table::TableHeader h{"T",
                       {{"a", "A", CellType::kNumber},
                        {"b", "B", CellType::kNumber},
                        {"c", "C", CellType::kNumber},
                        {"d", "D", CellType::kNumber},
                        {"t", "T", CellType::kDateTime},
                        {"u", "U", CellType::kDateTime}}};
  REQUIRE(r.begin(h).ok());
  // As the query page parser hands them over: the number's text as sent,
  // a datetime's instant (its wire text is not what the CSV shows).
  std::array<Cell, 6> row{Cell::num(12.5, "12.50"),
                          Cell::num(1000, "1e3"),
                          Cell::num(67043365.501669183, "67043365.50166918337345123291015625"),
                          Cell::num(0.1, ""),  // no text: the shortest round trip
                          Cell::datetime(1704067200000, "2024-01-01T00:00:00.000+0000"),
                          Cell::datetime(1704067200007, "2024-01-01T00:00:00.007+0000")};
  REQUIRE(r.row(row).ok());
  REQUIRE(r.end({1, false}).ok());
  CHECK(csv_of(**s) ==
        "A,B,C,D,T,U\r\n12.50,1e3,67043365.50166918337345123291015625,0.1,"
        "2024-01-01T00:00:00Z,2024-01-01T00:00:00.007Z\r\n");
}

TEST_CASE("csv: each table of a run gets its own file") {
  auto s = Scratch::open({});
  REQUIRE(s.ok());
  CsvRenderer r(**s, {});
  for (const char* name : {"Accounts", "Cases/Open"}) {
    REQUIRE(r.begin({name, {{"a", "A", CellType::kString}}}).ok());
    REQUIRE(r.end({0, false}).ok());
  }
  REQUIRE((*s)->outputs().size() == 2);
  CHECK((*s)->outputs()[0]->filename() == "report.csv");
  CHECK((*s)->outputs()[1]->filename() == "report-Cases_Open.csv");
}

TEST_CASE("csv: a comma, quote or line break anywhere in a long field quotes it") {
  // The scan goes 16 bytes at a time, then byte by byte: a special byte in
  // either part, and none at all.
  for (std::size_t at : {1u, 15u, 16u, 31u, 32u, 40u}) {  // at 0 a CR would be guarded
    for (char special : {',', '"', '\r', '\n'}) {
      std::string text(41, 'x');
      text[at] = special;
      std::string quoted = text;
      if (special == '"') quoted.insert(at, 1, '"');
      auto s = Scratch::open({});
      REQUIRE(s.ok());
      CsvRenderer r(**s, {});
      REQUIRE(r.begin(two_cols()).ok());
      const std::string plain(41, 'y');
      std::array<Cell, 2> row{Cell::string(text), Cell::string(plain)};
      REQUIRE(r.row(row).ok());
      REQUIRE(r.end({1, false}).ok());
      CHECK(csv_of(**s) == "A,B\r\n\"" + quoted + "\"," + plain + "\r\n");
    }
  }
}

TEST_CASE(
    "csv: fields of every length up to 40 are quoted for a special byte anywhere, only then") {
  // Each length and position (the scan's 16-byte blocks and its byte
  // loop), and bytes next to the special ones.
  const char near[] = {'+', '-', '!', '#', '\x0b', '\x0c', '\x0e', '\x80', '\xff', 'a', '\0', '\t'};
  for (std::size_t len = 1; len <= 40; ++len) {
    auto s = Scratch::open({});
    REQUIRE(s.ok());
    CsvRenderer r(**s, {});
    REQUIRE(r.begin(two_cols()).ok());
    std::string want = "A,B\r\n";
    std::string plain;
    for (std::size_t i = 0; i < len; ++i) plain += near[(i + len) % sizeof near];
    plain[0] = 'p';  // nothing for the formula guard
    std::array<Cell, 2> row{Cell::string(plain), Cell::null()};
    REQUIRE(r.row(row).ok());
    want += plain + ",\r\n";
    std::vector<std::string> texts;
    texts.reserve(4 * len);
    for (std::size_t at = 1; at < len; ++at) {
      for (char special : {',', '"', '\r', '\n'}) {
        std::string text = plain;
        text[at] = special;
        texts.push_back(text);
        std::array<Cell, 2> r2{Cell::string(texts.back()), Cell::null()};
        REQUIRE(r.row(r2).ok());
        if (special == '"') text.insert(at, 1, '"');
        want += "\"" + text + "\",\r\n";
      }
    }
    REQUIRE(r.end({1, false}).ok());
    CHECK(csv_of(**s) == want);
  }
}

TEST_CASE("csv: a row larger than the write block, between smaller ones, comes out whole") {
  auto s = Scratch::open({});
  REQUIRE(s.ok());
  CsvRenderer r(**s, {});
  REQUIRE(r.begin(two_cols()).ok());
  std::string huge(300 * 1024, 'h');
  huge[200 * 1024] = '"';
  std::string expect = "A,B\r\n";
  for (int i = 0; i < 3; ++i) {
    std::array<Cell, 2> small{Cell::string("s"), Cell::num(1, "1")};
    REQUIRE(r.row(small).ok());
    expect += "s,1\r\n";
    std::array<Cell, 2> big{Cell::string(huge), Cell::null()};
    REQUIRE(r.row(big).ok());
    std::string quoted = huge;
    quoted.insert(200 * 1024, 1, '"');
    expect += "\"" + quoted + "\",\r\n";
  }
  REQUIRE(r.end({6, false}).ok());
  CHECK(csv_of(**s) == expect);
}

TEST_CASE("csv: the write block is written over between flushes and wiped when the table ends") {
  auto s = Scratch::open({});
  REQUIRE(s.ok());
  CsvRenderer r(**s, {});
  REQUIRE(r.begin(two_cols()).ok());
  std::array<Cell, 2> row{Cell::string("MARKER-value"), Cell::num(1, "1")};
  for (int i = 0; i < 20000; ++i) REQUIRE(r.row(row).ok());  // several flushes
  CHECK_FALSE(r.block_wiped());
  REQUIRE(r.end({20000, false}).ok());
  CHECK(r.block_wiped());
  CHECK(csv_of(**s).size() == 5 + 20000 * std::string("MARKER-value,1\r\n").size());
}

TEST_CASE("csv: exceeding the scratch cap fails the run instead of cutting the file") {
  ScratchOptions o;
  o.cap_bytes = 100;
  auto s = Scratch::open(o);
  REQUIRE(s.ok());
  CsvRenderer r(**s, {});
  REQUIRE(r.begin(two_cols()).ok());
  std::string big(200, 'x');
  std::array<Cell, 2> row{Cell::string(big), Cell::null()};
  REQUIRE(r.row(row).ok());  // buffered
  Status st = r.end({1, false});
  CHECK(st.kind() == ErrorKind::kPermanent);  // never retried
  CHECK(st.code() == "too-large");
  CHECK(st.message().find("xxx") == std::string::npos);  // no values in errors
}

}  // namespace
}  // namespace reportd::render
