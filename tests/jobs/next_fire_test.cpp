// Specification of next_fire() (DESIGN.md §4.2), table-driven: the DST rules
// in the zones people complain about, the day extensions, and "never".
#include "jobs/next_fire.hpp"

#include <chrono>
#include <vector>

#include <doctest/doctest.h>

#include "jobs/cron.hpp"
#include "tests/jobs/time_text.hpp"

namespace doctest {
template <>
struct StringMaker<std::vector<std::string>> {
  static String convert(const std::vector<std::string>& v) {
    std::string out = "{";
    for (const auto& s : v) out += " " + s;
    return (out + " }").c_str();
  }
};
}  // namespace doctest

using reportd::jobs::DstNote;
using reportd::jobs::Fire;
using reportd::jobs::next_fire;
using reportd::jobs::test::at;
using reportd::jobs::test::text;

namespace {

// The next `n` fires after `from`, as UTC text; "never" ends the list.
std::vector<std::string> fires(const char* expr, const char* zone, const char* from, int n,
                               std::vector<DstNote>* notes = nullptr) {
  auto e = reportd::jobs::parse_cron(expr);
  REQUIRE(e.ok());
  auto z = reportd::jobs::find_zone(zone);
  REQUIRE(z.ok());
  std::vector<std::string> out;
  date::sys_seconds t = at(from);
  for (int i = 0; i < n; ++i) {
    auto f = next_fire(*e, **z, t);
    if (!f) {
      out.push_back("never");
      break;
    }
    out.push_back(text(f->utc));
    if (notes) notes->push_back(f->dst);
    t = f->utc;
  }
  return out;
}

using V = std::vector<std::string>;

}  // namespace

TEST_CASE("cron: 02:30 daily in a spring-forward gap fires once at 03:00") {
  std::vector<DstNote> notes;
  // Europe/Berlin, 2026-03-29: 02:00 CET becomes 03:00 CEST at 01:00 UTC.
  CHECK(fires("30 2 * * *", "Europe/Berlin", "2026-03-28T00:00:00Z", 3, &notes) ==
        V{"2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"});
  CHECK(notes == std::vector<DstNote>{DstNote::kNone, DstNote::kGapShifted, DstNote::kNone});
}

TEST_CASE("cron: several gap times of a fixed-time schedule collapse into one fire") {
  CHECK(fires("0,15,30,45 2 * * *", "Europe/Berlin", "2026-03-29T00:00:00Z", 2) ==
        V{"2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z"});
  // 03:00 also matches: still one fire at the end of the gap.
  CHECK(fires("30 2,3 * * *", "Europe/Berlin", "2026-03-29T00:00:00Z", 2) ==
        V{"2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z"});
}

TEST_CASE("cron: 02:30 daily in a fall-back overlap fires once, at the first 02:30") {
  std::vector<DstNote> notes;
  // Europe/Berlin, 2026-10-25: 03:00 CEST becomes 02:00 CET at 01:00 UTC.
  CHECK(fires("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", 2, &notes) ==
        V{"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"});
  CHECK(notes == std::vector<DstNote>{DstNote::kRepeatedFirst, DstNote::kNone});
}

TEST_CASE("cron: interval-like schedules skip gap times and repeat overlap times") {
  // Spring forward: 02:00 and 02:30 do not exist.
  CHECK(fires("*/30 * * * *", "Europe/Berlin", "2026-03-29T00:15:00Z", 3) ==
        V{"2026-03-29T00:30:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z"});
  // Fall back: 02:00 and 02:30 happen twice, real elapsed time is followed.
  std::vector<DstNote> notes;
  CHECK(fires("*/30 * * * *", "Europe/Berlin", "2026-10-24T23:45:00Z", 5, &notes) ==
        V{"2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z", "2026-10-25T01:00:00Z",
          "2026-10-25T01:30:00Z", "2026-10-25T02:00:00Z"});
  CHECK(notes == std::vector<DstNote>{DstNote::kRepeatedFirst, DstNote::kRepeatedFirst,
                                      DstNote::kRepeatedSecond, DstNote::kRepeatedSecond,
                                      DstNote::kNone});
  // @hourly in New York on 2026-11-01: 01:00 EDT and 01:00 EST both fire.
  CHECK(fires("@hourly", "America/New_York", "2026-11-01T04:30:00Z", 3) ==
        V{"2026-11-01T05:00:00Z", "2026-11-01T06:00:00Z", "2026-11-01T07:00:00Z"});
  // 0 */2 on 2026-03-08 in New York: 02:00 does not exist and is skipped.
  CHECK(fires("0 */2 * * *", "America/New_York", "2026-03-08T04:30:00Z", 2) ==
        V{"2026-03-08T05:00:00Z", "2026-03-08T08:00:00Z"});
}

TEST_CASE("cron: Lord Howe's 30-minute DST shift") {
  // Australia/Lord_Howe 2026-10-04: 02:00 +10:30 becomes 02:30 +11.
  CHECK(fires("15 2 * * *", "Australia/Lord_Howe", "2026-10-03T00:00:00Z", 2) ==
        V{"2026-10-03T15:30:00Z", "2026-10-04T15:15:00Z"});
  // 2026-04-05: 02:00 +11 becomes 01:30 +10:30; 01:45 happens twice.
  CHECK(fires("45 1 * * *", "Australia/Lord_Howe", "2026-04-04T00:00:00Z", 2) ==
        V{"2026-04-04T14:45:00Z", "2026-04-05T15:15:00Z"});
  CHECK(fires("45 * * * *", "Australia/Lord_Howe", "2026-04-04T14:00:00Z", 3) ==
        V{"2026-04-04T14:45:00Z", "2026-04-04T15:15:00Z", "2026-04-04T16:15:00Z"});
}

TEST_CASE("cron: a zone that skipped a whole day (Samoa, 2011-12-30)") {
  // Pacific/Apia jumped from 2011-12-29 23:59:59 -10 to 2011-12-31 00:00 +14.
  CHECK(fires("0 12 * * *", "Pacific/Apia", "2011-12-29T12:00:00Z", 3) ==
        V{"2011-12-29T22:00:00Z", "2011-12-30T10:00:00Z", "2011-12-30T22:00:00Z"});
  // Interval-like: nothing on the missing day.
  CHECK(fires("0 */6 * * *", "Pacific/Apia", "2011-12-30T03:00:00Z", 2) ==
        V{"2011-12-30T04:00:00Z", "2011-12-30T10:00:00Z"});
}

TEST_CASE("cron: zones without DST") {
  CHECK(fires("30 2 * * *", "Asia/Kolkata", "2026-03-29T00:00:00Z", 1) ==
        V{"2026-03-29T21:00:00Z"});
  CHECK(fires("0 0 1 1 *", "UTC", "2026-06-01T00:00:00Z", 2) ==
        V{"2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"});
}

TEST_CASE("cron: an impossible expression answers never at once") {
  CHECK(fires("0 0 30 2 *", "UTC", "2026-01-01T00:00:00Z", 1) == V{"never"});
  CHECK(fires("0 0 31 4,6,9,11 *", "Europe/Berlin", "2026-01-01T00:00:00Z", 1) == V{"never"});
  // February with five Mondays: a leap year starting February on a Monday.
  CHECK(fires("0 0 * 2 1#5", "UTC", "2026-01-01T00:00:00Z", 1) == V{"2044-02-29T00:00:00Z"});
  CHECK(fires("0 0 30W 2 *", "UTC", "2026-01-01T00:00:00Z", 1) == V{"never"});
  // A starred day-of-month (*/29 is the 1st and the 30th) ANDs with Monday.
  CHECK(fires("0 0 */29 2 1", "UTC", "2026-01-01T00:00:00Z", 1) ==
        V{"2027-02-01T00:00:00Z"});
  CHECK(fires("0 0 29 2 *", "UTC", "2097-01-01T00:00:00Z", 2) ==
        V{"2104-02-29T00:00:00Z", "2108-02-29T00:00:00Z"});
}

TEST_CASE("cron: day-of-month and day-of-week: OR when neither is starred, else AND") {
  // February 2026 starts on a Sunday.
  CHECK(fires("0 0 13 * 5", "UTC", "2026-02-01T00:00:00Z", 4) ==
        V{"2026-02-06T00:00:00Z", "2026-02-13T00:00:00Z", "2026-02-20T00:00:00Z",
          "2026-02-27T00:00:00Z"});
  CHECK(fires("0 0 */13 * 5", "UTC", "2026-02-01T00:00:00Z", 2) ==
        V{"2026-02-27T00:00:00Z", "2026-03-27T00:00:00Z"});
  CHECK(fires("0 0 13 * *", "UTC", "2026-02-01T00:00:00Z", 1) == V{"2026-02-13T00:00:00Z"});
}

TEST_CASE("cron: L, L-3, W, LW, 5L and 1#2 in February 2026") {
  // 2026-02-01 is a Sunday and 2026-02-28 a Saturday.
  CHECK(fires("0 0 L 2 *", "UTC", "2026-01-31T00:00:00Z", 1) == V{"2026-02-28T00:00:00Z"});
  CHECK(fires("0 0 L-3 2 *", "UTC", "2026-01-31T00:00:00Z", 1) == V{"2026-02-25T00:00:00Z"});
  CHECK(fires("0 0 1W 2 *", "UTC", "2026-01-31T00:00:00Z", 1) == V{"2026-02-02T00:00:00Z"});
  CHECK(fires("0 0 28W 2 *", "UTC", "2026-01-31T00:00:00Z", 1) == V{"2026-02-27T00:00:00Z"});
  CHECK(fires("0 0 LW 2 *", "UTC", "2026-01-31T00:00:00Z", 1) == V{"2026-02-27T00:00:00Z"});
  CHECK(fires("0 0 * 2 5L", "UTC", "2026-01-31T00:00:00Z", 1) == V{"2026-02-27T00:00:00Z"});
  CHECK(fires("0 0 * 2 1#2", "UTC", "2026-01-31T00:00:00Z", 1) == V{"2026-02-09T00:00:00Z"});
  // August 2026 starts on a Saturday: 1W is Monday the 3rd.
  CHECK(fires("0 0 1W 8 *", "UTC", "2026-07-31T00:00:00Z", 1) == V{"2026-08-03T00:00:00Z"});
  // May 2026 ends on a Sunday: 31W is Friday the 29th.
  CHECK(fires("0 0 31W 5 *", "UTC", "2026-04-30T00:00:00Z", 1) == V{"2026-05-29T00:00:00Z"});
}

TEST_CASE("cron: seconds and the strictly-after rule") {
  CHECK(fires("*/20 * * * * *", "UTC", "2026-01-01T00:00:00Z", 3) ==
        V{"2026-01-01T00:00:20Z", "2026-01-01T00:00:40Z", "2026-01-01T00:01:00Z"});
  CHECK(fires("0 0 * * *", "UTC", "2026-01-01T00:00:00Z", 1) == V{"2026-01-02T00:00:00Z"});
  CHECK(fires("59 59 23 31 12 *", "UTC", "2026-06-01T00:00:00Z", 1) ==
        V{"2026-12-31T23:59:59Z"});
}
