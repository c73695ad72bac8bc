#pragma once
// CronExpr: a parsed cron expression in the dialect of DESIGN.md §4.1, held as
// bit sets (a plain value, cheap to copy and compare). parse_cron() turns text
// into one; to_string() prints the normalised form that parses back to it.

#include <cstdint>
#include <string>
#include <string_view>

#include "table/status.hpp"

namespace reportd::jobs {

struct CronExpr {
  std::uint64_t seconds = 0;  // bit s, 0..59
  std::uint64_t minutes = 0;  // bit m, 0..59
  std::uint32_t hours = 0;    // bit h, 0..23
  // Day of month.
  std::uint32_t days = 0;              // bit d, 1..31
  std::uint32_t days_before_last = 0;  // bit n for `L-n` (`L` is n = 0), 0..30
  std::uint32_t nearest_weekday = 0;   // bit d for `dW`, 1..31
  bool last_weekday = false;           // `LW`
  std::uint16_t months = 0;            // bit m, 1..12
  // Day of week, Sunday = 0.
  std::uint8_t weekdays = 0;         // bit w, 0..6
  std::uint8_t last_of_weekday = 0;  // bit w for `wL` (last Friday: `5L`)
  std::uint64_t nth_weekday = 0;     // bit (k-1)*7 + w for `w#k`, k 1..5
  // Vixie: a day field that starts with `*` or `?` is starred (§4.1); an hour
  // field that starts with `*` makes the schedule interval-like (§4.2).
  bool day_of_month_starred = false;
  bool day_of_week_starred = false;
  bool hour_starred = false;

  bool interval_like() const { return hour_starred; }
  // When neither day field is starred, a day matches if either matches.
  bool days_or() const { return !day_of_month_starred && !day_of_week_starred; }

  bool operator==(const CronExpr&) const = default;
};

// Parses 5 fields (minute hour day-of-month month day-of-week), 6 with leading
// seconds, or a macro (@yearly @annually @monthly @weekly @daily @midnight
// @hourly). Errors are kInvalidArgument and name the field and the text.
Result<CronExpr> parse_cron(std::string_view text);

// The normalised form: numbers only, 5 fields when seconds is just 0.
// parse_cron(to_string(e)) == e for every parsed e.
std::string to_string(const CronExpr& expr);

// The smallest gap, in seconds, between two fire times of one day (86400 when
// it fires once a day or less). DST can shorten it for interval-like
// schedules; the scheduler enforces the minimum interval at run time too.
std::int64_t min_spacing_seconds(const CronExpr& expr);

}  // namespace reportd::jobs
