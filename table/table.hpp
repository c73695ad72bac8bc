#pragma once
// The streaming table every part speaks. Sources (SOQL pages, reports, Bulk
// CSV) call a RowSink; renderers (CSV, XLSX, HTML) implement it. A sink sees
// the columns once per table, then rows one at a time. Cells are views into
// the producer's page buffer and are valid only during the row() call, so
// memory stays at one page whatever the row count.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "table/status.hpp"

namespace reportd::table {

enum class CellType { kNull, kString, kNumber, kBoolean, kDate, kDateTime };

std::string_view to_string(CellType type);

struct Column {
  std::string name;   // API name, e.g. "Owner.Name"
  std::string label;  // what a reader sees, e.g. "Opportunity Owner"
  CellType type = CellType::kString;  // declared type; a cell may still be null
};

// One typed value. `text` always holds the value as the source sent it
// (empty for null); the numeric members are set for their types.
struct Cell {
  CellType type = CellType::kNull;
  std::string_view text;
  double number = 0;          // kNumber
  bool boolean = false;       // kBoolean
  std::int64_t days = 0;      // kDate: days since 1970-01-01
  std::int64_t millis = 0;    // kDateTime: milliseconds since the epoch, UTC

  static Cell null() { return {}; }
  static Cell string(std::string_view s) { return {CellType::kString, s}; }
  static Cell num(double v, std::string_view t) { return {CellType::kNumber, t, v}; }
  static Cell boolean_value(bool v) {
    return {CellType::kBoolean, v ? "true" : "false", 0, v};
  }
  static Cell date(std::int64_t d, std::string_view t) {
    return {CellType::kDate, t, 0, false, d};
  }
  static Cell datetime(std::int64_t ms, std::string_view t) {
    return {CellType::kDateTime, t, 0, false, 0, ms};
  }
};

// What a source tells a sink about a table before its rows.
struct TableHeader {
  std::string name;  // the source's name; a multi-source XLSX makes it a sheet
  std::vector<Column> columns;
  // The first N columns hold grouping values (summary and matrix reports);
  // the source then also sends group() and subtotal() around the rows.
  std::size_t grouping_columns = 0;
};

// A summary or matrix report's structure (Reports API), told between rows.
// Texts are views valid during the call only (grouping values and totals are
// record data). Sources without groupings never send these.
struct GroupValue {
  std::string_view column;  // the grouping's label, e.g. "Stage"
  std::string_view value;   // the group's label, e.g. "Prospecting"
};

// One summary value of a group, in the order of the report's aggregates.
struct Aggregate {
  std::string_view name;   // what it sums, e.g. "Sum of Amount", "Record Count"
  std::string_view shown;  // the value as Salesforce formats it, e.g. "$1,200.00"
  Cell value;              // the raw value (kNumber), null when absent
};

// A group's rows start: its value at `level` (0 outermost; down groupings,
// then across groupings within them).
struct GroupStart {
  std::size_t level = 0;
  GroupValue group;
};

// The totals after a group's rows (kGroup: `groups` is the group's path from
// the top), of a column of a matrix (kColumn: the across groups' path), or
// of the whole report (kGrand: no groups).
enum class TotalKind { kGroup, kColumn, kGrand };
struct Subtotal {
  TotalKind kind = TotalKind::kGrand;
  std::span<const GroupValue> groups;
  std::span<const Aggregate> aggregates;
};

// What a source tells a sink after the last row.
struct TableFooter {
  std::uint64_t rows = 0;
  bool truncated = false;  // the source cut the data (Reports API allData:false)
};

// Receives tables as they stream. A sink may see several tables in one run.
// A non-ok Status stops the source and becomes the run's error.
class RowSink {
 public:
  virtual ~RowSink() = default;
  virtual Status begin(const TableHeader& header) = 0;
  // cells.size() == header.columns.size()
  virtual Status row(std::span<const Cell> cells) = 0;
  virtual Status end(const TableFooter& footer) = 0;
  // Grouped reports only, between begin() and end(); a sink that shows only
  // rows (CSV, XLSX) keeps the defaults, which ignore them.
  virtual Status group(const GroupStart& start);
  virtual Status subtotal(const Subtotal& total);
};

// Forwards every call to several sinks, so one source feeds all renderers.
class TeeSink final : public RowSink {
 public:
  explicit TeeSink(std::vector<RowSink*> sinks) : sinks_(std::move(sinks)) {}
  Status begin(const TableHeader& header) override;
  Status row(std::span<const Cell> cells) override;
  Status end(const TableFooter& footer) override;
  Status group(const GroupStart& start) override;
  Status subtotal(const Subtotal& total) override;

 private:
  std::vector<RowSink*> sinks_;
};

}  // namespace reportd::table
