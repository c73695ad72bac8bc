// Specification of the cron dialect (DESIGN.md §4.1): parsing, errors, and
// the normalised form.
#include "jobs/cron.hpp"

#include <doctest/doctest.h>

using reportd::jobs::CronExpr;
using reportd::jobs::min_spacing_seconds;
using reportd::jobs::parse_cron;

namespace {

CronExpr ok(const char* text) {
  auto e = parse_cron(text);
  INFO(text);
  REQUIRE_MESSAGE(e.ok(), e.status().message());
  return *e;
}

std::string error_of(const char* text) {
  auto e = parse_cron(text);
  REQUIRE_MESSAGE(!e.ok(), text);
  CHECK(e.status().kind() == reportd::ErrorKind::kInvalidArgument);
  return e.status().message();
}

std::string normal(const char* text) { return to_string(ok(text)); }

}  // namespace

TEST_CASE("cron: five fields mean second 0; six take leading seconds") {
  CronExpr e = ok("*/15 * * * *");
  CHECK(e.seconds == 1);
  CHECK(e.minutes == ((1ull << 0) | (1ull << 15) | (1ull << 30) | (1ull << 45)));
  CHECK(e.hours == 0xFFFFFF);
  CHECK(e.interval_like());
  CHECK(ok("10,20 0 9 * * *").seconds == ((1ull << 10) | (1ull << 20)));
  CHECK_FALSE(ok("0 9 * * *").interval_like());
}

TEST_CASE("cron: lists, ranges, steps and names") {
  CHECK(ok("10-50/20 * * * *").minutes == ((1ull << 10) | (1ull << 30) | (1ull << 50)));
  CHECK(ok("5/20 * * * *").minutes == ((1ull << 5) | (1ull << 25) | (1ull << 45)));
  CHECK(ok("0 0 * JAN-MAR,dec *").months == 0b1'0000'0000'1110);
  CHECK(ok("0 0 * * MON-FRI").weekdays == 0b011'1110);
  CHECK(ok("0 0 * * 7").weekdays == 1);  // 7 is Sunday
  CHECK(ok("0 0 * * 5-7").weekdays == 0b110'0001);
  CHECK(ok("0 0 * * sun").weekdays == 1);
}

TEST_CASE("cron: macros expand to their five-field forms") {
  CHECK(ok("@yearly") == ok("0 0 1 1 *"));
  CHECK(ok("@annually") == ok("0 0 1 1 *"));
  CHECK(ok("@monthly") == ok("0 0 1 * *"));
  CHECK(ok("@weekly") == ok("0 0 * * 0"));
  CHECK(ok("@daily") == ok("0 0 * * *"));
  CHECK(ok("@midnight") == ok("0 0 * * *"));
  CHECK(ok("@hourly") == ok("0 * * * *"));
  CHECK(ok("@hourly").interval_like());
  CHECK(error_of("@reboot").find("macro field `@reboot`") != std::string::npos);
}

TEST_CASE("cron: day fields starting with * or ? are starred (Vixie)") {
  CHECK(ok("0 0 * * 1").day_of_month_starred);
  CHECK(ok("0 0 ? * 1").day_of_month_starred);
  CHECK(ok("0 0 */5 * 1").day_of_month_starred);
  CHECK_FALSE(ok("0 0 1-31 * 1").day_of_month_starred);
  CHECK(ok("0 0 1 * 1").days_or());
  CHECK_FALSE(ok("0 0 */5 * 1").days_or());
  CHECK_FALSE(ok("0 0 1 * *").days_or());
}

TEST_CASE("cron: L, L-n, W, LW, nL and n#k") {
  CronExpr e = ok("0 0 L,L-3,15W,LW * *");
  CHECK(e.days_before_last == ((1u << 0) | (1u << 3)));
  CHECK(e.nearest_weekday == (1u << 15));
  CHECK(e.last_weekday);
  CronExpr w = ok("0 0 * * 5L,1#2,FRI#3");
  CHECK(w.last_of_weekday == (1u << 5));
  CHECK(w.nth_weekday == ((1ull << (7 + 1)) | (1ull << (14 + 5))));
}

TEST_CASE("cron: every error names the field and the offending text") {
  const auto has = [](const std::string& msg, const char* a, const char* b) {
    INFO(msg);
    CHECK(msg.find(a) != std::string::npos);
    CHECK(msg.find(b) != std::string::npos);
  };
  has(error_of("61 * * * *"), "minute field", "61");
  has(error_of("0 24 * * *"), "hour field", "24");
  has(error_of("0 0 32 * *"), "day-of-month field", "32");
  has(error_of("0 0 0 * *"), "day-of-month field", "`0`");
  has(error_of("0 0 * 13 *"), "month field", "13");
  has(error_of("0 0 * FOO *"), "month field", "FOO");
  has(error_of("0 0 * * 8"), "day-of-week field", "8");
  has(error_of("0 0 * * MOND"), "day-of-week field", "MOND");
  has(error_of("60 0 0 * * *"), "second field", "60");
  has(error_of("*/0 * * * *"), "minute field", "*/0");
  has(error_of("5-1 * * * *"), "minute field", "5-1");
  has(error_of("1,,2 * * * *"), "minute field", "empty list item");
  has(error_of("*/5,3 * * * *"), "minute field", "stand alone");
  has(error_of("? * * * *"), "minute field", "?");
  has(error_of("0 0 L-31 * *"), "day-of-month field", "L-31");
  has(error_of("0 0 L/2 * *"), "day-of-month field", "L/2");
  has(error_of("0 0 * * L"), "day-of-week field", "5L");
  has(error_of("0 0 * * 1#6"), "day-of-week field", "1#6");
  has(error_of("0 0 * * 1-"), "day-of-week field", "1-");
  has(error_of("0 0 * *"), "5 fields", "got 4");
  has(error_of(""), "5 fields", "got 0");
  has(error_of("1 2 3 4 5 6 7 8"), "fields", "got 8");
  has(error_of("99999 * * * *"), "minute field", "99999");
}

TEST_CASE("cron: a Quartz 7-field expression is rejected with the form to use") {
  const std::string msg = error_of("0 0 12 ? * 2-6 *");
  INFO(msg);
  CHECK(msg.find("Quartz") != std::string::npos);
  CHECK(msg.find("`0 0 12 ? * 1-5`") != std::string::npos);
  // The suggestion parses, and means weekdays at 12:00.
  CHECK(ok("0 0 12 ? * 1-5").weekdays == 0b011'1110);
  const std::string nth = error_of("0 15 10 ? * 6#3 2030");
  CHECK(nth.find("`0 15 10 ? * 5#3`") != std::string::npos);
  CHECK(nth.find("year field `2030`") != std::string::npos);
  CHECK(error_of("0 0 0 ? * L *").find("`0 0 0 ? * 6`") != std::string::npos);
}

TEST_CASE("cron: the normalised form") {
  CHECK(normal("0 0 * * *") == "0 0 * * *");
  CHECK(normal("@hourly") == "0 * * * *");
  CHECK(normal("*/15 * * * *") == "*/15 * * * *");
  CHECK(normal("0,15,30,45 * * * *") == "*/15 * * * *");
  CHECK(normal("0 0-23/2 * * *") == "0 0-22/2 * * *");  // fixed-time stays fixed-time
  CHECK(normal("0 */2 * * *") == "0 */2 * * *");
  CHECK(normal("0 0-23 * * *") == "0 0-23 * * *");
  CHECK(normal("0 9 * JAN-MAR mon-fri") == "0 9 * 1-3 1-5");
  CHECK(normal("0 9 1-31 * SUN,7") == "0 9 1-31 * 0");
  CHECK(normal("0 9 ? * 5-7") == "0 9 * * 0,5,6");
  CHECK(normal("30 0 9 15W,L-3,L,LW * 5L,1#2") == "30 0 9 L,L-3,15W,LW * 5L,1#2");
  CHECK(normal("0 0 0 */7 * * ") == "0 0 */7 * *");
  CHECK(normal("0 0 * * */8") == "0 0 * * */7");
  CHECK(normal("  7   3  *  *  *  ") == "7 3 * * *");
}

TEST_CASE("cron: normalised forms parse back to the same expression") {
  for (const char* text :
       {"*/7 1-5,9 */3 * *", "0 0 L * 1#1", "1,2,3,5 */4 1-31/2 */2 0-6", "5/10 * ? * *",
        "59 23 31 12 7", "0 0 1W,31W * *", "*/59 * * * * *", "0 0 * * */7",
        "0 0 */31 * *", "0 */24 * * *", "0 0 5 * 2L,3L,0#5"}) {
    INFO(text);
    CronExpr e = ok(text);
    const std::string n = to_string(e);
    INFO(n);
    CHECK(ok(n.c_str()) == e);
  }
}

TEST_CASE("cron: minimum spacing between fires of one day") {
  CHECK(min_spacing_seconds(ok("*/5 * * * *")) == 300);
  CHECK(min_spacing_seconds(ok("* * * * *")) == 60);
  CHECK(min_spacing_seconds(ok("*/10 * * * * *")) == 10);
  CHECK(min_spacing_seconds(ok("0 9 * * *")) == 86400);
  CHECK(min_spacing_seconds(ok("0,58 9,10 * * *")) == 120);
  CHECK(min_spacing_seconds(ok("0 0,23 * * *")) == 3600);
}
