// next_fire() against the brute-force oracle (tests/jobs/cron_oracle.hpp):
// thousands of random expressions x zones x start times, zero mismatches.
// REPORTD_ORACLE_CASES and REPORTD_ORACLE_SEED widen or vary the run.
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "jobs/cron.hpp"
#include "jobs/next_fire.hpp"
#include "tests/jobs/cron_oracle.hpp"
#include "tests/jobs/time_text.hpp"

namespace {

namespace oracle = reportd::jobs::oracle;
using reportd::jobs::test::text;
using std::chrono::seconds;

long env_or(const char* name, long fallback) {
  const char* v = std::getenv(name);
  return v ? std::strtol(v, nullptr, 10) : fallback;
}

// Every offset change of `zone` between two years, found from tzdata.
std::vector<date::sys_seconds> transitions(const date::time_zone& zone, int from_year,
                                           int to_year) {
  std::vector<date::sys_seconds> out;
  date::sys_seconds t = date::sys_days{date::year{from_year} / 1 / 1};
  const date::sys_seconds end = date::sys_days{date::year{to_year} / 1 / 1};
  while (t < end) {
    const date::sys_info i = zone.get_info(t);
    if (i.end >= end) break;
    if (zone.get_info(i.end).offset != i.offset) out.push_back(i.end);
    t = i.end;
  }
  return out;
}

struct ZoneCase {
  const char* name;
  int first_year;  // where start times may begin: 2024, or earlier for a change for good
};

}  // namespace

TEST_CASE("cron: next_fire matches the brute-force oracle across zones, 2024-2034") {
  const std::vector<ZoneCase> zones{
      {"Europe/Berlin", 2024},     {"America/New_York", 2024}, {"Asia/Kolkata", 2024},
      {"UTC", 2024},               {"Australia/Lord_Howe", 2024}, {"Pacific/Chatham", 2024},
      {"Africa/Casablanca", 2024}, {"America/Santiago", 2024},
      // Zones that changed their offset for good (and had DST before).
      {"Pacific/Apia", 2010},      {"Europe/Volgograd", 2010},  {"America/Caracas", 2006},
      {"Asia/Pyongyang", 2014},    {"Europe/Moscow", 2010}};
  const long cases = env_or("REPORTD_ORACLE_CASES", 8000);
  const auto seed = static_cast<std::uint64_t>(env_or("REPORTD_ORACLE_SEED", 20260329));
  std::mt19937_64 rng(seed);
  MESSAGE("seed " << seed << ", " << cases << " cases");

  std::vector<const date::time_zone*> tz;
  std::vector<std::vector<date::sys_seconds>> changes;
  for (const ZoneCase& z : zones) {
    tz.push_back(date::locate_zone(z.name));
    changes.push_back(transitions(*tz.back(), z.first_year, 2035));
  }
  long compared = 0;
  long never = 0;
  long mismatches = 0;
  for (long c = 0; c < cases; ++c) {
    const oracle::Spec spec = oracle::random_spec(rng);
    auto expr = reportd::jobs::parse_cron(spec.text);
    INFO(spec.text);
    REQUIRE_MESSAGE(expr.ok(), expr.status().message());
    const auto zi = static_cast<std::size_t>(rng() % zones.size());
    const date::time_zone& zone = *tz[zi];
    date::sys_seconds start;
    if (!changes[zi].empty() && rng() % 4 != 0) {
      // Near an offset change: within 40 hours either side.
      start = changes[zi][rng() % changes[zi].size()] +
              seconds{static_cast<long>(rng() % (80 * 3600)) - 40 * 3600};
    } else {
      start = date::sys_days{date::year{2024} / 1 / 1} +
              seconds{static_cast<long>(rng() % (11LL * 365 * 86400))};
    }
    date::sys_seconds t = start;
    for (int step = 0; step < 4; ++step) {
      const auto got = reportd::jobs::next_fire(*expr, zone, t);
      const auto want = oracle::oracle_next(spec, zone, t, 366 * 30);
      ++compared;
      if (!want) {
        // Nothing within 30 years: next_fire must say never.
        ++never;
        CHECK_MESSAGE(!got, std::string(zones[zi].name) << " after " << text(t));
        if (got) ++mismatches;
        break;
      }
      const bool same = got && got->utc == *want;
      if (!same) {
        ++mismatches;
        FAIL_CHECK(std::string(zones[zi].name) << " after " << text(t) << ": next_fire "
                                  << (got ? text(got->utc) : std::string("never"))
                                  << ", oracle " << text(*want));
        break;
      }
      t = *want;
    }
  }
  MESSAGE(compared << " comparisons, " << never << " never, " << mismatches << " mismatches");
  CHECK(mismatches == 0);
}
