#pragma once
// How a typed cell reads as text (CSV, HTML, text/plain) and as an Excel
// serial date, in the schedule's time zone. Pure functions; any thread.

#include <cstddef>
#include <cstdint>
#include <string>

#include "table/table.hpp"

namespace date {
class time_zone;
}

namespace reportd::render {

// "2024-03-01" for days since 1970-01-01.
std::string format_date(std::int64_t days);
// ISO 8601 local time with offset, e.g. "2024-03-01T13:00:00+01:00"
// (milliseconds shown only when non-zero). `tz` null means UTC.
std::string format_datetime(std::int64_t millis, const date::time_zone* tz);
// "2024-03-01 13:00 CET": for people, in summaries.
std::string format_datetime_human(std::int64_t millis, const date::time_zone* tz);

// The UTC offset of one zone, remembering the span of the last answer so
// that a column of datetimes looks the zone up once per DST period, not once
// per cell. One renderer's: not shared between threads.
class ZoneOffsets {
 public:
  explicit ZoneOffsets(const date::time_zone* tz = nullptr) : tz_(tz) {}
  const date::time_zone* zone() const { return tz_; }
  // Seconds east of UTC at `millis` (0 for a null zone).
  std::int64_t offset_seconds(std::int64_t millis);

 private:
  const date::time_zone* tz_;
  std::int64_t begin_ms_ = 0, end_ms_ = 0;  // [begin, end) of the cached offset
  std::int64_t offset_s_ = 0;
};

// The longest text format_datetime() writes (a five-digit year is longer).
inline constexpr std::size_t kDateTimeTextMax = 40;
// Writes format_date()'s text to `out` (at least kDateTimeTextMax bytes);
// returns its length. No allocation, no printf.
std::size_t write_date(char* out, std::int64_t days);
// Writes format_datetime()'s text to `out` (at least kDateTimeTextMax bytes);
// returns its length.
std::size_t write_datetime(char* out, std::int64_t millis, ZoneOffsets& zone);

// Appends the cell's text: numbers as the source sent them, booleans as
// true/false, dates ISO, datetimes local ISO with offset, null as nothing.
void append_cell_text(std::string& out, const table::Cell& cell, const date::time_zone* tz);
void append_cell_text(std::string& out, const table::Cell& cell, ZoneOffsets& zone);
// Excel serial date (1900 system) of the local wall time of `millis` in `tz`.
double excel_serial_local(std::int64_t millis, const date::time_zone* tz);
double excel_serial_local(std::int64_t millis, ZoneOffsets& zone);
// Excel serial date of a calendar date.
double excel_serial_date(std::int64_t days);

// Replaces invalid UTF-8 with U+FFFD; drops nothing else.
std::string sanitize_utf8(std::string_view s);
// True when `s` is valid UTF-8.
bool is_valid_utf8(std::string_view s);

}  // namespace reportd::render
