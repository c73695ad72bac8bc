#pragma once
// ScheduleSpec: what the scheduler needs of one stored schedule, validated
// once: its parsed cron, its zone, and its policies (DESIGN.md §4.3).
// Plain value; make_spec() and splay_offset() are pure.

#include <chrono>
#include <cstdint>

#include <date/tz.h>

#include "jobs/cron.hpp"
#include "store/records.hpp"
#include "table/status.hpp"

namespace reportd::jobs {

struct ScheduleSpec {
  std::int64_t id = 0;
  std::int64_t org = 0;  // the connection: the per-org cap counts by it
  CronExpr cron;
  const date::time_zone* zone = nullptr;
  std::chrono::seconds catch_up{6 * 3600};  // run the latest missed occurrence if this recent
  store::Overlap overlap = store::Overlap::kSkip;
  std::chrono::seconds splay{0};         // this schedule's own delay, from splay_offset()
  std::chrono::seconds min_interval{300};
};

// Parses and checks a stored schedule. Fails (kInvalidArgument, naming the
// schedule) on a bad cron or zone, or on a cron whose fires come closer than
// the schedule's minimum interval (`* * * * *` under the default 5 minutes).
Result<ScheduleSpec> make_spec(const store::Schedule& schedule);

// A delay in [0, splay] derived from the schedule id alone, so it is the same
// in every process and after every restart, and spreads top-of-hour stampedes.
std::chrono::seconds splay_offset(std::int64_t schedule_id, std::chrono::seconds splay);

}  // namespace reportd::jobs
