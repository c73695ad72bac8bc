#pragma once
// Recognises Salesforce's date ("2024-01-31") and datetime
// ("2024-01-31T12:00:00.000+0000", "...Z") text and builds typed cells.
// Pure functions; no executor.

#include <cstdint>
#include <optional>
#include <string_view>

#include "table/table.hpp"

namespace reportd::salesforce {

// Days since 1970-01-01 for exactly "YYYY-MM-DD".
std::optional<std::int64_t> parse_date(std::string_view s);
// Milliseconds since the epoch (UTC) for "YYYY-MM-DDTHH:MM:SS[.fff](Z|+HHMM|+HH:MM)".
std::optional<std::int64_t> parse_datetime(std::string_view s);

// A string cell, or a date/datetime cell when the text has exactly one of
// those shapes. `s` must outlive the cell.
table::Cell sniff_string_cell(std::string_view s);

// Cell for a declared report/describe data type ("date", "datetime",
// "double", "int", "percent", "currency", "boolean", anything else = string).
table::CellType type_from_salesforce(std::string_view data_type);

}  // namespace reportd::salesforce
