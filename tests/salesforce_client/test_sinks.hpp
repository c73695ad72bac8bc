#pragma once
// RowSinks for tests: RecordingSink keeps every cell as text ("<null>" for
// null) with its type; CountingSink only counts (memory tests, bench).

#include <string>
#include <vector>

#include "table/table.hpp"

namespace reportd::salesforce::testing {

class RecordingSink final : public table::RowSink {
 public:
  Status begin(const table::TableHeader& h) override {
    ++begins;
    header = h;
    return {};
  }
  Status row(std::span<const table::Cell> cells) override {
    std::vector<std::string> r;
    std::vector<table::CellType> t;
    for (const auto& c : cells) {
      r.push_back(c.type == table::CellType::kNull ? std::string("<null>") : std::string(c.text));
      t.push_back(c.type);
    }
    events.push_back("row " + r.back());
    rows.push_back(std::move(r));
    types.push_back(std::move(t));
    if (fail_at_row && rows.size() == fail_at_row)
      return Status::error(ErrorKind::kIo, "sink failed", "sink");
    return {};
  }
  Status end(const table::TableFooter& f) override {
    ++ends;
    footer = f;
    return {};
  }
  Status group(const table::GroupStart& g) override {
    events.push_back("group " + std::to_string(g.level) + " " + std::string(g.group.column) + "=" +
                     std::string(g.group.value));
    return {};
  }
  Status subtotal(const table::Subtotal& t) override {
    std::string e = t.kind == table::TotalKind::kGrand    ? "grand"
                    : t.kind == table::TotalKind::kColumn ? "column"
                                                          : "subtotal";
    for (const auto& g : t.groups) e += " " + std::string(g.value);
    for (const auto& a : t.aggregates)
      e += " | " + std::string(a.name) + "=" + std::string(a.shown) + "(" +
           (a.value.type == table::CellType::kNull ? std::string("<null>") : std::string(a.value.text)) + ")";
    events.push_back(e);
    return {};
  }
  std::vector<std::string> column_names() const {
    std::vector<std::string> out;
    for (const auto& c : header.columns) out.push_back(c.name);
    return out;
  }

  table::TableHeader header;
  table::TableFooter footer;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::vector<table::CellType>> types;
  std::vector<std::string> events;  // "group L Col=value", "row <last cell>", totals
  int begins = 0, ends = 0;
  std::size_t fail_at_row = 0;
};

class CountingSink final : public table::RowSink {
 public:
  Status begin(const table::TableHeader& h) override {
    columns = h.columns.size();
    return {};
  }
  Status row(std::span<const table::Cell> cells) override {
    ++rows;
    for (const auto& c : cells) bytes += c.text.size();
    return {};
  }
  Status end(const table::TableFooter& f) override {
    footer = f;
    ended = true;
    return {};
  }
  std::size_t columns = 0;
  std::uint64_t rows = 0, bytes = 0;
  table::TableFooter footer;
  bool ended = false;
};

}  // namespace reportd::salesforce::testing
