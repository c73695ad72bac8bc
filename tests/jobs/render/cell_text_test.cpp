#include "jobs/render/cell_text.hpp"

#include <date/date.h>
#include <date/tz.h>
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <random>

namespace reportd::render {
namespace {

using Ms = std::chrono::milliseconds;

// The printf formatting the writers had before (the CSV bytes must not change).
std::string printf_date(std::int64_t days) {
  date::year_month_day ymd{date::sys_days{date::days{days}}};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::string printf_datetime(std::int64_t millis, const date::time_zone* tz) {
  std::int64_t off = 0;
  if (tz != nullptr) off = tz->get_info(date::sys_time<Ms>{Ms{millis}}).offset.count();
  date::local_time<Ms> lt{Ms{millis + off * 1000}};
  auto day = date::floor<date::days>(lt);
  date::year_month_day ymd{day};
  date::hh_mm_ss<Ms> t{lt - day};
  char buf[64];
  int n =
      std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(ymd.year()),
                    static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                    static_cast<int>(t.hours().count()), static_cast<int>(t.minutes().count()),
                    static_cast<int>(t.seconds().count()));
  std::string out(buf, static_cast<std::size_t>(n));
  if (auto ms = t.subseconds().count(); ms != 0) {
    std::snprintf(buf, sizeof buf, ".%03d", static_cast<int>(ms));
    out += buf;
  }
  if (off == 0) {
    out += tz == nullptr ? "Z" : "+00:00";
  } else {
    std::int64_t a = off < 0 ? -off : off;
    std::snprintf(buf, sizeof buf, "%c%02d:%02d", off < 0 ? '-' : '+', static_cast<int>(a / 3600),
                  static_cast<int>((a % 3600) / 60));
    out += buf;
  }
  return out;
}

TEST_CASE("cell text: dates read as printf's %04d-%02u-%02u did, from year -32767 to 32767") {
  for (int y : {-32767, -1000, -1, 0, 1, 9, 999, 1970, 2024, 9999, 10000, 32767}) {
    const auto days = date::sys_days{date::year{y} / 3 / 7}.time_since_epoch().count();
    CHECK(format_date(days) == printf_date(days));
  }
  CHECK(format_date(19905) == "2024-07-01");
}

TEST_CASE(
    "cell text: every date from 1600 to 2400, and around year 0 and 9999, reads as printf's") {
  for (std::int64_t days = -135'140; days <= 157'054; ++days)
    REQUIRE_MESSAGE(format_date(days) == printf_date(days), days);
  for (std::int64_t edge : {-719'528, -719'468, 2'932'896})
    for (std::int64_t days = edge - 400; days <= edge + 400; ++days)
      REQUIRE_MESSAGE(format_date(days) == printf_date(days), days);
  for (std::int64_t edge : {-719'528, -719'468, 2'932'896, 2'932'897})
    for (std::int64_t ms = (edge - 3) * 86'400'000; ms <= (edge + 3) * 86'400'000; ms += 7'777'777)
      REQUIRE_MESSAGE(format_datetime(ms, nullptr) == printf_datetime(ms, nullptr), ms);
}

TEST_CASE("cell text: every day of years 1 to 9999 reads as printf's, and the days around them") {
  // The digit-pair path and the date library's, on both sides of where one hands over.
  const auto first = date::sys_days{date::year{1} / 1 / 1}.time_since_epoch().count();
  const auto last = date::sys_days{date::year{9999} / 12 / 31}.time_since_epoch().count();
  for (std::int64_t d = first - 400; d <= last + 400; ++d) {
    char buf[kDateTimeTextMax];
    const std::string_view fast(buf, write_date(buf, d));
    if (fast != printf_date(d))
      REQUIRE_MESSAGE(fast == printf_date(d), d);  // one message, not 3.6M
  }
}

TEST_CASE("cell text: datetimes in a zone read as before, across DST changes in any order") {
  std::mt19937_64 rng(7);
  // 1600 to 2400, in seconds and in milliseconds.
  std::uniform_int_distribution<std::int64_t> any(-11'676'096'000'000, 13'569'465'600'000);
  for (const char* name : {"", "UTC", "Europe/Paris", "America/St_Johns", "Asia/Kathmandu"}) {
    const date::time_zone* tz = *name ? date::locate_zone(name) : nullptr;
    ZoneOffsets zone(tz);  // one cache for the whole column, as a renderer holds it
    for (int i = 0; i < 3000; ++i) {
      std::int64_t ms = any(rng);
      if (i % 3 == 0) ms -= ms % 1000;  // whole seconds: no fraction shown
      char buf[kDateTimeTextMax];
      const std::string fast(buf, write_datetime(buf, ms, zone));
      const std::string what = std::string(name) + " " + std::to_string(ms);
      REQUIRE_MESSAGE(fast == printf_datetime(ms, tz), what);
      CHECK(excel_serial_local(ms, zone) == excel_serial_local(ms, tz));
    }
  }
}

TEST_CASE("cell text: a remembered offset ends where the zone's period ends") {
  ZoneOffsets paris(date::locate_zone("Europe/Paris"));
  // 2024-03-31 01:00:00Z is 03:00 CEST: the last CET millisecond, then the first CEST one.
  const std::int64_t change = 1711846800000;
  CHECK(paris.offset_seconds(change - 1) == 3600);
  CHECK(paris.offset_seconds(change) == 7200);
  CHECK(paris.offset_seconds(change - 1) == 3600);
  CHECK(format_datetime(change, date::locate_zone("Europe/Paris")) == "2024-03-31T03:00:00+02:00");
  CHECK(format_datetime(change - 1, nullptr) == "2024-03-31T00:59:59.999Z");
}

TEST_CASE("cell text: datetime edge cases read exactly as the CSV has always had them") {
  const date::time_zone* st_johns = date::locate_zone("America/St_Johns");  // -03:30 / -02:30
  const date::time_zone* new_york = date::locate_zone("America/New_York");
  const auto ms_of = [](date::sys_days d, std::int64_t ms_of_day) {
    return std::chrono::duration_cast<Ms>(d.time_since_epoch()).count() + ms_of_day;
  };
  // Year 1 and the last millisecond of year 9999: four digits, zero-padded.
  CHECK(format_datetime(ms_of(date::year{1} / 1 / 1, 0), nullptr) == "0001-01-01T00:00:00Z");
  CHECK(format_datetime(ms_of(date::year{9999} / 12 / 31, 86'399'999), nullptr) ==
        "9999-12-31T23:59:59.999Z");
  CHECK(format_datetime(ms_of(date::year{10000} / 1 / 1, 0), nullptr) == "10000-01-01T00:00:00Z");
  // Whole seconds show no fraction (.000 is dropped); other milliseconds keep three digits.
  const std::int64_t t0 = 1704067200000;  // 2024-01-01T00:00:00Z
  CHECK(format_datetime(t0, nullptr) == "2024-01-01T00:00:00Z");
  CHECK(format_datetime(t0 + 1, nullptr) == "2024-01-01T00:00:00.001Z");
  CHECK(format_datetime(t0 + 10, nullptr) == "2024-01-01T00:00:00.010Z");
  CHECK(format_datetime(t0 + 100, nullptr) == "2024-01-01T00:00:00.100Z");
  CHECK(format_datetime(t0 + 999, nullptr) == "2024-01-01T00:00:00.999Z");
  // Before 1970 the fraction still counts forward from the second below.
  CHECK(format_datetime(-1, nullptr) == "1969-12-31T23:59:59.999Z");
  CHECK(format_datetime(-1000, nullptr) == "1969-12-31T23:59:59Z");
  // No leap second: the last millisecond of 2016 is followed by 2017's first.
  const std::int64_t leap = ms_of(date::year{2017} / 1 / 1, 0);
  CHECK(format_datetime(leap - 1, nullptr) == "2016-12-31T23:59:59.999Z");
  CHECK(format_datetime(leap, nullptr) == "2017-01-01T00:00:00Z");
  // Negative offsets, half hours, the date moving back a day; UTC in a zone is +00:00.
  CHECK(format_datetime(t0, st_johns) == "2023-12-31T20:30:00-03:30");
  CHECK(format_datetime(t0 + 5, new_york) == "2023-12-31T19:00:00.005-05:00");
  CHECK(format_datetime(t0, date::locate_zone("UTC")) == "2024-01-01T00:00:00+00:00");
  CHECK(format_date(0) == "1970-01-01");
  CHECK(format_date(-1) == "1969-12-31");
  CHECK(format_date(-719162) == "0001-01-01");
}

TEST_CASE("cell text: is_valid_utf8 agrees with the character-by-character check") {
  // Valid exactly when sanitize_utf8 (one character at a time) changes nothing;
  // ASCII runs of every length put the odd bytes on every side of an 8-byte word.
  std::mt19937_64 rng(11);
  const char* pieces[] = {"a",    "abcdefg", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
                          "\xff", "\xc3",    "\xe2\x82", "\xed\xa0\x80", "\xc0\xaf",
                          "\x80", "01234567"};
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    for (int n = static_cast<int>(rng() % 8); n > 0; --n) s += pieces[rng() % std::size(pieces)];
    const bool expect = sanitize_utf8(s) == s;
    if (is_valid_utf8(s) != expect) REQUIRE_MESSAGE(is_valid_utf8(s) == expect, s);
  }
  CHECK(is_valid_utf8("plain ASCII text, longer than a word"));
  CHECK_FALSE(is_valid_utf8("plain ASCII text, then \xff"));
}

}  // namespace
}  // namespace reportd::render
