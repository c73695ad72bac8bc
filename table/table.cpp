#include "table/table.hpp"

namespace reportd::table {

std::string_view to_string(CellType type) {
  switch (type) {
    case CellType::kNull: return "null";
    case CellType::kString: return "string";
    case CellType::kNumber: return "number";
    case CellType::kBoolean: return "boolean";
    case CellType::kDate: return "date";
    case CellType::kDateTime: return "datetime";
  }
  return "unknown";
}

Status RowSink::group(const GroupStart&) { return {}; }
Status RowSink::subtotal(const Subtotal&) { return {}; }

Status TeeSink::group(const GroupStart& start) {
  for (RowSink* s : sinks_) {
    if (Status st = s->group(start); !st.ok()) return st;
  }
  return {};
}

Status TeeSink::subtotal(const Subtotal& total) {
  for (RowSink* s : sinks_) {
    if (Status st = s->subtotal(total); !st.ok()) return st;
  }
  return {};
}

Status TeeSink::begin(const TableHeader& header) {
  for (RowSink* s : sinks_) {
    if (Status st = s->begin(header); !st.ok()) return st;
  }
  return {};
}

Status TeeSink::row(std::span<const Cell> cells) {
  for (RowSink* s : sinks_) {
    if (Status st = s->row(cells); !st.ok()) return st;
  }
  return {};
}

Status TeeSink::end(const TableFooter& footer) {
  for (RowSink* s : sinks_) {
    if (Status st = s->end(footer); !st.ok()) return st;
  }
  return {};
}

}  // namespace reportd::table
