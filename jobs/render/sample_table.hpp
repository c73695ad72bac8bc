#pragma once
// A deterministic synthetic table: the "small sample report" of
// `reportd mail test`, and the fixture of the render tests and benchmark.
// It holds awkward values on purpose (quotes, commas, newlines, formula-like
// text, non-ASCII, nulls, negative numbers, dates, datetimes). Pure.

#include <cstdint>

#include "table/table.hpp"

namespace reportd::render {

table::TableHeader sample_header(std::string name = "Opportunities");
// Streams begin/rows/end of `rows` sample rows into `sink`.
Status emit_sample_table(table::RowSink& sink, std::uint64_t rows, std::string name = "Opportunities");

}  // namespace reportd::render
