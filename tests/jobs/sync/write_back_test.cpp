// WriteBack: one PATCH per run of a synced schedule, with the run's outcome
// and the next fire; nothing for local schedules; nothing while the API
// budget guard is on.
#include "jobs/sync/write_back.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "tests/jobs/sync/sync_fixture.hpp"

namespace reportd::sync {
namespace {

namespace json = boost::json;

TEST_CASE("write-back: the PATCH body carries the run's outcome and the next run") {
  store::Run run;
  run.state = store::RunState::kFailed;
  run.reason = "salesforce: GET /services/data/v61.0/query: 400 MALFORMED_QUERY: unexpected token";
  run.error_code = "MALFORMED_QUERY";
  run.rows = 0;
  run.started_at_ms = 1772445600500;
  auto b = json::parse(run_status_body(run, date::sys_seconds(std::chrono::seconds(1772528400))));
  CHECK(b.at("Last_Run__c") == "2026-03-02T10:00:00.000Z");
  CHECK(b.at("Last_Status__c") == "Failed");
  CHECK(b.at("Last_Row_Count__c") == 0);
  CHECK(b.at("Last_Error__c") ==
        "Salesforce could not run Query__c. Check the query's syntax. (code MALFORMED_QUERY)");
  CHECK(b.at("Next_Run__c") == "2026-03-03T09:00:00.000Z");

  run.state = store::RunState::kSucceeded;
  run.reason.clear();
  run.rows = 1234;
  run.started_at_ms = 0;
  run.nominal_s = 1772445600;
  b = json::parse(run_status_body(run, std::nullopt));
  CHECK(b.at("Last_Status__c") == "Succeeded");
  CHECK(b.at("Last_Row_Count__c") == 1234);
  CHECK(b.at("Last_Error__c").is_null());
  CHECK(b.at("Next_Run__c").is_null());
  CHECK(b.at("Last_Run__c") == "2026-03-02T10:00:00.000Z");
  CHECK(status_word(store::RunState::kSkipped) == "Skipped");
  CHECK(status_word(store::RunState::kCancelled) == "Failed");
}

struct WriteBackFixture : test::SyncFixture {
  WriteBack wb{*thread, provider, clock, 90};
  std::int64_t synced_id = 0;
  std::int64_t local_id = 0;
  std::int64_t runs = 0;

  WriteBackFixture() {
    store::Schedule s;
    s.name = "acme/Daily";
    s.connection_id = connection.id;
    s.origin = store::ScheduleOrigin::kSalesforce;
    s.sf_record_id = "a01A";
    s.cron = "0 8 * * *";
    s.source = "SELECT Id FROM Account";
    s.formats = {"csv"};
    s.recipients = {"a@acme.com"};
    synced_id = *db->add_schedule(s);
    s.name = "local";
    s.origin = store::ScheduleOrigin::kLocal;
    s.sf_record_id.clear();
    local_id = *db->add_schedule(s);
    org.add(record("a01A", "Daily"));
  }

  store::Run finished(std::int64_t schedule_id, store::RunState state, std::int64_t rows) {
    auto id =
        db->claim_occurrence(schedule_id, 1772438400 + runs++, store::RunState::kPending, "", 1);
    REQUIRE(id.ok());
    REQUIRE(id->has_value());
    store::Run run = *db->get_run(**id);
    run.state = state;
    run.rows = rows;
    run.reason = state == store::RunState::kSkipped ? "no rows, and send-when-empty is off" : "";
    run.started_at_ms = 1772438401000;
    run.finished_at_ms = 1772438405000;
    REQUIRE(db->update_run(run).ok());
    return run;  // the pipeline hands on_finished the run's saved row
  }
};

TEST_CASE("write-back: one PATCH onto the record after a run of a synced schedule") {
  WriteBackFixture f;
  auto r = f.run(f.wb.write(f.synced_id, f.finished(f.synced_id, store::RunState::kSkipped, 0)));
  REQUIRE(r.ok());
  CHECK(*r == WriteBackResult::kWritten);
  REQUIRE(f.org.patches.size() == 1);
  CHECK(f.org.patches[0].first == "a01A");
  auto b = json::parse(f.org.patches[0].second);
  CHECK(b.at("Last_Run__c") == "2026-03-02T08:00:01.000Z");
  CHECK(b.at("Last_Status__c") == "Skipped");
  CHECK(b.at("Last_Error__c") == "no rows, and send-when-empty is off");
  CHECK(b.at("Next_Run__c") == "2026-03-03T08:00:00.000Z");
}

TEST_CASE("write-back: nothing for a local schedule or one that is gone") {
  WriteBackFixture f;
  auto r = f.run(f.wb.write(f.local_id, f.finished(f.local_id, store::RunState::kSucceeded, 3)));
  CHECK(*r == WriteBackResult::kNotSynced);
  r = f.run(f.wb.write(4242, store::Run()));
  CHECK(*r == WriteBackResult::kNotSynced);
  CHECK(f.org.patches.empty());
}

TEST_CASE("write-back: a run reported without times is taken to have started now") {
  WriteBackFixture f;
  store::Run bare;
  bare.state = store::RunState::kFailed;
  bare.reason = "internal error: store /var/lib/reportd/reportd.db is locked";
  auto r = f.run(f.wb.write(f.synced_id, bare));
  CHECK(*r == WriteBackResult::kWritten);
  auto b = json::parse(f.org.patches.at(0).second);
  CHECK(b.at("Last_Run__c") == "2026-03-02T10:00:00.000Z");
  CHECK(b.at("Last_Error__c") ==
        "The run failed inside reportd. Your reportd operator has the details (run 0). (code "
        "failed)");
}

TEST_CASE("write-back: skipped while the API budget guard is on") {
  WriteBackFixture f;
  f.org.usage = salesforce::ApiUsage{91, 100};
  auto r = f.run(f.wb.write(f.synced_id, f.finished(f.synced_id, store::RunState::kSucceeded, 3)));
  CHECK(*r == WriteBackResult::kSkippedBudget);
  CHECK(f.org.patches.empty());
  f.wb.set_api_budget_percent(95);
  r = f.run(f.wb.write(f.synced_id, f.finished(f.synced_id, store::RunState::kSucceeded, 3)));
  CHECK(*r == WriteBackResult::kWritten);
}

TEST_CASE("write-back: Salesforce's error comes back with context") {
  WriteBackFixture f;
  f.org.fail_patch =
      Status::error(ErrorKind::kPermanent, "salesforce: PATCH: 400 INVALID_FIELD", "INVALID_FIELD");
  auto r = f.run(f.wb.write(f.synced_id, f.finished(f.synced_id, store::RunState::kFailed, 0)));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() == "write-back to a01A: salesforce: PATCH: 400 INVALID_FIELD");
}

}  // namespace
}  // namespace reportd::sync
