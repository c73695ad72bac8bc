#include "salesforce_client/csv_parser.hpp"

#include <doctest/doctest.h>

using namespace reportd;
using namespace reportd::salesforce;

namespace {
using Records = std::vector<std::vector<std::string>>;

// Parses `text` fed in pieces of `step` bytes.
Records parse(std::string_view text, std::size_t step) {
  Records out;
  CsvParser p([&](std::span<const std::string_view> f) {
    out.emplace_back(f.begin(), f.end());
    return Status();
  });
  for (std::size_t i = 0; i < text.size(); i += step) REQUIRE(p.feed(text.substr(i, step)).ok());
  REQUIRE(p.finish().ok());
  return out;
}
}  // namespace

TEST_CASE("csv: quotes, doubled quotes, delimiters and newlines in fields, any chunking") {
  struct Case {
    std::string_view text;
    Records want;
  };
  const Case cases[] = {
      {"\"Id\",\"Name\"\n\"1\",\"a\"\n", {{"Id", "Name"}, {"1", "a"}}},
      {"a,b\n1,\n,2\n", {{"a", "b"}, {"1", ""}, {"", "2"}}},
      {"\"x\"\"y\",\"line1\nline2\",\"c,d\"\n", {{"x\"y", "line1\nline2", "c,d"}}},
      {"a,b\r\n1,2\r\n", {{"a", "b"}, {"1", "2"}}},
      {"no,newline", {{"no", "newline"}}},
      {"\"\",\"\"\n", {{"", ""}}},
      {"\"J\xc3\xbcrgen \"\"JD\"\"\",\"\r\n\"\n", {{"J\xc3\xbcrgen \"JD\"", "\r\n"}}},
      {"a\n\nb\n", {{"a"}, {"b"}}},
  };
  for (const auto& c : cases) {
    for (std::size_t step : {1u, 2u, 3u, 7u, 1000u}) {
      CAPTURE(c.text);
      CAPTURE(step);
      CHECK(parse(c.text, step) == c.want);
    }
  }
}

TEST_CASE("csv: input ending inside a quoted field is an error") {
  CsvParser p([](std::span<const std::string_view>) { return Status(); });
  REQUIRE(p.feed("\"open,").ok());
  CHECK(p.finish().code() == "bad-csv");
}

TEST_CASE("csv: a callback error stops the parse") {
  int n = 0;
  CsvParser p([&](std::span<const std::string_view>) {
    return ++n == 2 ? Status::error(ErrorKind::kIo, "stop", "sink") : Status();
  });
  CHECK(p.feed("a\nb\nc\n").code() == "sink");
  CHECK(n == 2);
}
