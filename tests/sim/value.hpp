// A field value as the simulator hands it out: null, string, number (kept as
// exact decimal text) or boolean. Dates and datetimes are strings in the
// Salesforce REST serialization.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace reportd::sim {

struct Value {
  enum class Kind { kNull, kString, kNumber, kBool };
  Kind kind = Kind::kNull;
  std::string text;  // kString: the value; kNumber: decimal text such as "12345.67"
  bool flag = false; // kBool

  static Value null() { return {}; }
  static Value str(std::string s) { return {Kind::kString, std::move(s), false}; }
  static Value num(std::string s) { return {Kind::kNumber, std::move(s), false}; }
  static Value boolean(bool b) { return {Kind::kBool, {}, b}; }
  bool is_null() const { return kind == Kind::kNull; }
};

/// "2011-07-07" from days since 1970-01-01.
std::string format_date(std::int64_t days);
/// "2011-07-07T00:37:00.000+0000" from seconds since the epoch (REST JSON).
std::string format_datetime(std::int64_t secs);
/// "2011-07-07T00:37:00.000Z" (Bulk 2.0 CSV).
std::string format_datetime_z(std::int64_t secs);
/// Integer cents to "1234.5" style decimal text with exactly `scale` digits.
std::string format_scaled(std::int64_t scaled, int scale);

/// Appends s as a JSON string literal (quotes included).
void append_json_string(std::string& out, std::string_view s);
/// Appends v as JSON (null, "string", number, true/false).
void append_json_value(std::string& out, const Value& v);

}  // namespace reportd::sim
