#pragma once
// A brute-force oracle for next_fire(), written independently of jobs/: it
// generates random cron expressions as explicit value lists (and renders
// them as text for the parser), matches days by walking the calendar, and maps
// each candidate local time through date/tz's local_info, applying DESIGN.md
// §4.2 literally. It is slow on purpose and used only by tests and tools.

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <date/tz.h>

namespace reportd::jobs::oracle {

struct Spec {
  std::string text;  // what the parser gets
  std::vector<int> seconds, minutes, hours, months;
  bool hour_star = false;
  bool dom_star = false;
  std::vector<int> dom_values;     // 1..31
  std::vector<int> dom_last;       // n of `L-n`
  std::vector<int> dom_nearest;    // n of `nW`
  bool dom_last_weekday = false;   // `LW`
  bool dow_star = false;
  std::vector<int> dow_values;     // 0..6
  std::vector<int> dow_last;       // w of `wL`
  std::vector<std::pair<int, int>> dow_nth;  // (w, k) of `w#k`
};

Spec random_spec(std::mt19937_64& rng);

bool day_matches(const Spec& s, date::year_month_day ymd);

// The first fire strictly after `after` found by walking at most `window_days`
// of local days; nullopt when none is found within the window.
std::optional<date::sys_seconds> oracle_next(const Spec& s, const date::time_zone& zone,
                                             date::sys_seconds after, int window_days);

}  // namespace reportd::jobs::oracle
