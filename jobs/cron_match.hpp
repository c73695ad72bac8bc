#pragma once
// Zone-free matching of a CronExpr against local calendar days and times.
// Searches jump month by month and field by field; nothing steps per minute.
// Pure functions, safe on any thread.

#include <cstdint>
#include <optional>

#include <date/date.h>

#include "jobs/cron.hpp"

namespace reportd::jobs {

// The days of month `ym` that `expr` matches, as bit d for day d (1..31),
// with month, day-of-month, day-of-week and the Vixie OR/AND rule applied.
std::uint32_t matching_days(const CronExpr& expr, date::year_month ym);

// The first local time >= `from` that `expr` matches, or nullopt when none
// exists. The calendar repeats every 400 years, so looking 400 years ahead
// answers "never" exactly (`0 0 30 2 *` costs ~4,800 month checks).
std::optional<date::local_seconds> next_local_match(const CronExpr& expr,
                                                    date::local_seconds from);

}  // namespace reportd::jobs
