#pragma once
// next_fire(): the next instant a cron expression fires in an IANA zone,
// applying DESIGN.md §4.2 exactly (fixed-time vs interval-like; DST gaps and
// overlaps). Pure functions over date/tz (system tzdata), safe on any thread.

#include <optional>
#include <string_view>

#include <date/tz.h>

#include "jobs/cron.hpp"
#include "table/status.hpp"

namespace reportd::jobs {

// How a DST change (or any UTC offset change) touched one fire.
enum class DstNote {
  kNone,
  kGapShifted,       // fixed-time: the local time does not exist; fires when the gap ends
  kRepeatedFirst,    // the local time occurs twice; this is the first
  kRepeatedSecond,   // interval-like: the second occurrence of a repeated local time
};

std::string_view to_string(DstNote note);

struct Fire {
  date::sys_seconds utc;      // the occurrence's instant, its key in the store
  date::local_seconds local;  // the local time that matched (inside the gap for kGapShifted)
  DstNote dst = DstNote::kNone;

  bool moved_by_dst() const { return dst == DstNote::kGapShifted; }
  bool operator==(const Fire&) const = default;
};

// The first fire strictly after `after`, or nullopt when `expr` never fires
// again (answered at once, without stepping through time).
std::optional<Fire> next_fire(const CronExpr& expr, const date::time_zone& zone,
                              date::sys_seconds after);

// Looks up an IANA zone name ("Europe/Berlin", "UTC") in the system tzdata.
Result<const date::time_zone*> find_zone(std::string_view name);

}  // namespace reportd::jobs
