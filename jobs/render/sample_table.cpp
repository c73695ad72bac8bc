#include "jobs/render/sample_table.hpp"

#include <array>
#include <cstdio>
#include <string>

namespace reportd::render {
namespace {

// Keep in step with tests/jobs/render/sample.py, which re-derives each value.
const std::array<std::string_view, 13> kNames = {
    "Plain",          "Comma, inside", "Quote \"q\"", "Line1\nLine2", "=SUM(A1:A2)",
    "+cmd",           "-minus",        "@at",         "\tTab",        "\xC3\x9Cn\xC3\xAF"
                                                                      "c\xC3\xB8" "d\xC3\xA9 "
                                                                      "\xE2\x98\x83 \xE6\x97\xA5\xE6\x9C\xAC",
    "",               ".dot start",    "CR\rinside"};

}  // namespace

table::TableHeader sample_header(std::string name) {
  using table::CellType;
  return {std::move(name),
          {{"Id", "Record Id", CellType::kString},
           {"Name", "Name", CellType::kString},
           {"Amount", "Amount", CellType::kNumber},
           {"IsActive", "Active", CellType::kBoolean},
           {"CloseDate", "Close Date", CellType::kDate},
           {"CreatedDate", "Created", CellType::kDateTime},
           {"Description", "Description", CellType::kString}}};
}

Status emit_sample_table(table::RowSink& sink, std::uint64_t rows, std::string name) {
  if (Status st = sink.begin(sample_header(std::move(name))); !st.ok()) return st;
  std::array<table::Cell, 7> cells;
  char id[32], amount[32], desc[48];
  for (std::uint64_t i = 0; i < rows; ++i) {
    std::snprintf(id, sizeof id, "REC-%06llu", static_cast<unsigned long long>(i));
    double v = static_cast<double>(static_cast<std::int64_t>(i * 37 % 1000) - 500) + 0.25;
    std::snprintf(amount, sizeof amount, "%.2f", v);
    std::snprintf(desc, sizeof desc, "desc %llu", static_cast<unsigned long long>(i));
    cells[0] = table::Cell::string(id);
    cells[1] = table::Cell::string(kNames[i % kNames.size()]);
    cells[2] = table::Cell::num(v, amount);
    cells[3] = i % 7 == 6 ? table::Cell::null() : table::Cell::boolean_value(i % 3 == 0);
    auto days = static_cast<std::int64_t>(19000 + i % 5000);
    cells[4] = table::Cell::date(days, "");
    auto ms = static_cast<std::int64_t>(1700000000000LL + static_cast<std::int64_t>(i % 100000) * 25200000LL +
                                        (i % 5 == 0 ? 123 : 0));
    cells[5] = table::Cell::datetime(ms, "");
    cells[6] = i % 4 == 0 ? table::Cell::null() : table::Cell::string(desc);
    if (Status st = sink.row(cells); !st.ok()) return st;
  }
  return sink.end({rows, false});
}

}  // namespace reportd::render
