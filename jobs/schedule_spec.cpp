#include "jobs/schedule_spec.hpp"

#include <string>

#include "jobs/next_fire.hpp"

namespace reportd::jobs {

std::chrono::seconds splay_offset(std::int64_t schedule_id, std::chrono::seconds splay) {
  if (splay.count() <= 0) return std::chrono::seconds{0};
  // splitmix64: a fixed, well-mixed hash (std::hash may differ between builds).
  auto z = static_cast<std::uint64_t>(schedule_id) + 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return std::chrono::seconds{static_cast<std::int64_t>(z % static_cast<std::uint64_t>(splay.count() + 1))};
}

Result<ScheduleSpec> make_spec(const store::Schedule& s) {
  // Built only for an error: load() calls this for every schedule.
  const auto where = [&s] { return "schedule `" + s.name + "`"; };
  auto cron = parse_cron(s.cron);
  if (!cron.ok()) return std::move(cron).status().with_context(where() + ": cron");
  auto zone = find_zone(s.tz.empty() ? "UTC" : s.tz);
  if (!zone.ok()) return std::move(zone).status().with_context(where());
  ScheduleSpec spec;
  spec.id = s.id;
  spec.org = s.connection_id;
  spec.cron = *cron;
  spec.zone = *zone;
  spec.catch_up = std::chrono::seconds{s.catchup_seconds};
  spec.overlap = s.overlap;
  spec.splay = splay_offset(s.id, std::chrono::seconds{s.splay_seconds});
  spec.min_interval = std::chrono::seconds{s.min_interval_seconds};
  const std::int64_t spacing = min_spacing_seconds(*cron);
  if (spacing < s.min_interval_seconds)
    return Status::error(ErrorKind::kInvalidArgument,
                         where() + ": cron `" + s.cron + "` fires " + std::to_string(spacing) +
                             " s apart, more often than the minimum interval of " +
                             std::to_string(s.min_interval_seconds) +
                             " s; use a coarser expression or ask the operator to lower it");
  return spec;
}

}  // namespace reportd::jobs
