// Next_Fires__c: the next five fires in the schedule's zone, with the UTC
// offset of each (a DST change inside the five shows), written at sync and
// by each write-back; an org whose object lacks the field still gets the rest.
#include "jobs/sync/next_fires.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "jobs/sync/write_back.hpp"
#include "tests/jobs/sync/sync_fixture.hpp"

namespace reportd::sync {
namespace {

namespace json = boost::json;

date::sys_seconds at(int y, unsigned m, unsigned d, int h) {
  return date::sys_days(date::year(y) / m / d) + std::chrono::hours(h);
}

store::Schedule daily(const std::string& tz) {
  store::Schedule s;
  s.cron = "0 8 * * *";
  s.tz = tz;
  return s;
}

TEST_CASE("next fires: five, in the schedule's zone, across a DST change") {
  const store::Schedule s = daily("Europe/Berlin");
  const auto fires = upcoming_fires(s, at(2026, 3, 27, 12));
  REQUIRE(fires.size() == 5);
  CHECK(next_fires_text(fires, s.tz) ==
        "2026-03-28T08:00:00+01:00\n"
        "2026-03-29T08:00:00+02:00\n"
        "2026-03-30T08:00:00+02:00\n"
        "2026-03-31T08:00:00+02:00\n"
        "2026-04-01T08:00:00+02:00");
  CHECK(next_fires_text(upcoming_fires(daily("America/New_York"), at(2026, 1, 5, 0), 1),
                        "America/New_York") == "2026-01-05T08:00:00-05:00");
  CHECK(next_fires_text({}, "UTC").empty());
}

TEST_CASE("next fires: none for a paused schedule or a cron that does not parse") {
  store::Schedule s = daily("UTC");
  s.paused = true;
  CHECK(upcoming_fires(s, at(2026, 3, 1, 0)).empty());
  s.paused = false;
  s.cron = "not a cron";
  CHECK(upcoming_fires(s, at(2026, 3, 1, 0)).empty());
  json::object body;
  put_next_fires(body, s, at(2026, 3, 1, 0));
  CHECK(body.at("Next_Run__c").is_null());
  CHECK(body.at("Next_Fires__c").is_null());
  put_next_fires(body, daily("UTC"), at(2026, 3, 1, 0));
  CHECK(body.at("Next_Run__c") == "2026-03-01T08:00:00.000Z");
  CHECK(body.at("Next_Fires__c").as_string().starts_with("2026-03-01T08:00:00+00:00\n"));
}

struct NextFiresFixture : test::SyncFixture {
  WriteBack wb{*thread, provider, clock, 90};
  std::int64_t id = 0;
  NextFiresFixture() {
    store::Schedule s = daily("Europe/Berlin");
    s.name = "acme/Daily";
    s.connection_id = connection.id;
    s.origin = store::ScheduleOrigin::kSalesforce;
    s.sf_record_id = "a01A";
    s.source = "SELECT Id FROM Account";
    s.formats = {"csv"};
    s.recipients = {"a@acme.com"};
    id = *db->add_schedule(s);
    org.add(record("a01A", "Daily"));
  }
  store::Run succeeded() {
    store::Run run;
    run.state = store::RunState::kSucceeded;
    run.rows = 3;
    run.started_at_ms = 1772438401000;
    return run;
  }
};

TEST_CASE("next fires: each write-back carries them") {
  NextFiresFixture f;
  auto r = f.run(f.wb.write(f.id, f.succeeded()));
  REQUIRE(r.ok());
  REQUIRE(f.org.patches.size() == 1);
  auto b = json::parse(f.org.patches[0].second);
  const std::string fires(b.at("Next_Fires__c").as_string());
  CHECK(std::count(fires.begin(), fires.end(), '\n') == 4);
  CHECK(fires.starts_with("2026-03-03T08:00:00+01:00\n"));
  CHECK(b.at("Next_Run__c") == "2026-03-03T07:00:00.000Z");
}

TEST_CASE("next fires: an org without the field still gets the run's outcome") {
  NextFiresFixture f;
  f.org.lacks_next_fires = true;
  auto r = f.run(f.wb.write(f.id, f.succeeded()));
  REQUIRE(r.ok());
  CHECK(*r == WriteBackResult::kWritten);
  REQUIRE(f.org.patches.size() == 2);
  auto retried = json::parse(f.org.patches[1].second).as_object();
  CHECK_FALSE(retried.contains("Next_Fires__c"));
  CHECK(retried.at("Last_Status__c") == "Succeeded");
  CHECK(retried.at("Next_Run__c") == "2026-03-03T07:00:00.000Z");
  CHECK(f.org.find("a01A")->last_status == "Succeeded");
}

}  // namespace
}  // namespace reportd::sync
