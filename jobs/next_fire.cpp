#include "jobs/next_fire.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "jobs/cron_match.hpp"

namespace reportd::jobs {
namespace {

using std::chrono::seconds;

// Offsets of one zone change meet within a day or so (Samoa skipped a whole
// day in 2011); further back the previous offset cannot matter.
constexpr seconds kMaxShift{3 * 86400};
// A DST zone has ~2 changes a year; the match search itself stops at 400 years.
constexpr int kMaxIntervals = 4000;

date::local_seconds to_local(date::sys_seconds t, seconds offset) {
  return date::local_seconds{t.time_since_epoch() + offset};
}

// next_local_match() with one remembered answer: successive intervals search
// from ever later local times, and one far match serves them all.
class MatchCache {
 public:
  explicit MatchCache(const CronExpr& e) : e_(e) {}
  std::optional<date::local_seconds> at_or_after(date::local_seconds from) {
    if (!valid_ || from < from_ || (answer_ && *answer_ < from)) {
      from_ = from;
      answer_ = next_local_match(e_, from);
      valid_ = true;
    }
    return answer_;
  }

 private:
  const CronExpr& e_;
  bool valid_ = false;
  date::local_seconds from_{};
  std::optional<date::local_seconds> answer_;
};

}  // namespace

std::string_view to_string(DstNote note) {
  switch (note) {
    case DstNote::kNone: return "none";
    case DstNote::kGapShifted: return "gap";
    case DstNote::kRepeatedFirst: return "repeated-first";
    case DstNote::kRepeatedSecond: return "repeated-second";
  }
  return "?";
}

// The zone's history is a chain of intervals [begin, end) with one UTC offset
// each. Walking it from `after`, within one interval the fires are the local
// matches L in the interval's local range, at L - offset. Where the offset
// grew (a gap), fixed-time schedules fire once at the interval's begin if any
// gap time matches; where it shrank (an overlap), fixed-time schedules skip
// the repeated local times, which already fired in the previous interval.
std::optional<Fire> next_fire(const CronExpr& e, const date::time_zone& zone,
                              date::sys_seconds after) {
  const date::sys_seconds t0 = after + seconds{1};
  const bool fixed = !e.interval_like();
  MatchCache match(e);
  date::sys_info info = zone.get_info(t0);
  for (int i = 0; i < kMaxIntervals; ++i) {
    const date::sys_seconds begin = info.begin;
    const seconds off = info.offset;
    seconds prev_off = off;
    if (begin > t0 - kMaxShift) prev_off = zone.get_info(begin - seconds{1}).offset;

    if (fixed && prev_off < off && begin >= t0) {
      const auto m = match.at_or_after(to_local(begin, prev_off));
      if (!m) return std::nullopt;
      if (*m < to_local(begin, off)) return Fire{begin, *m, DstNote::kGapShifted};
    }
    date::local_seconds lo = to_local(std::max(t0, begin), off);
    if (fixed) lo = std::max(lo, to_local(begin, prev_off));
    const auto m = match.at_or_after(lo);
    if (!m) return std::nullopt;
    if (*m < to_local(info.end, off)) {
      Fire f{date::sys_seconds{m->time_since_epoch() - off}, *m, DstNote::kNone};
      const date::local_info li = zone.get_info(*m);
      if (li.result == date::local_info::ambiguous)
        f.dst = f.utc == date::sys_seconds{m->time_since_epoch() - li.first.offset}
                    ? DstNote::kRepeatedFirst
                    : DstNote::kRepeatedSecond;
      return f;
    }
    info = zone.get_info(info.end);
  }
  return std::nullopt;
}

Result<const date::time_zone*> find_zone(std::string_view name) {
  try {
    return date::locate_zone(name);
  } catch (const std::runtime_error&) {
    return Status::error(ErrorKind::kInvalidArgument,
                         "time zone `" + std::string(name) +
                             "` is not in the system tzdata; use an IANA name such as "
                             "Europe/Berlin or UTC");
  }
}

}  // namespace reportd::jobs
