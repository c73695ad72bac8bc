// plan_sync: which schedules a sync adds, changes or removes and which
// statuses it writes back, and that a status already on the record is not
// written again (the PATCH moves SystemModstamp, so the next sync reads the
// record again).
#include "jobs/sync/sync_plan.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "tests/jobs/sync/fake_org.hpp"

namespace reportd::sync {
namespace {

namespace json = boost::json;

PlanContext context() {
  PlanContext ctx;
  ctx.connection.id = 1;
  ctx.connection.name = "acme";
  ctx.allowed_domains = {"acme.com"};
  ctx.now = date::sys_days{date::year{2026} / 3 / 2} + std::chrono::hours{7};  // a Monday, 07:00Z
  ctx.now_ms = ctx.now.time_since_epoch().count() * 1000;
  return ctx;
}

ScheduleRecord record(std::string id, std::string name, std::string stamp) {
  ScheduleRecord r = test::sample_record(std::move(id), std::move(name));
  r.formats = "CSV";
  r.modstamp = std::move(stamp);
  return r;
}

json::object body(const StatusPatch& p) { return json::parse(p.body).as_object(); }

// What the store would hold after the plan, for the next round.
std::vector<store::Schedule> after(const SyncPlan& plan, std::vector<store::Schedule> synced) {
  for (const auto& r : plan.remove) {
    std::erase_if(synced,
                  [&](const store::Schedule& s) { return s.sf_record_id == r.sf_record_id; });
  }
  for (const auto& u : plan.update) {
    for (auto& s : synced)
      if (s.id == u.id) s = u;
  }
  std::int64_t next = 100;
  for (auto a : plan.add) {
    a.id = next++;
    synced.push_back(a);
  }
  return synced;
}

TEST_CASE("plan: a new active record is added and marked Scheduled with its next run") {
  auto ctx = context();
  auto plan = plan_sync({record("a01A", "Daily", "2026-03-01T10:00:00Z")}, {}, {}, ctx);
  REQUIRE(plan.add.size() == 1);
  CHECK(plan.add[0].name == "acme/Daily");
  CHECK(plan.add[0].created_at_ms == ctx.now_ms);
  REQUIRE(plan.patches.size() == 1);
  CHECK(plan.patches[0].status == "Scheduled");
  auto b = body(plan.patches[0]);
  CHECK(b.at("Last_Status__c") == "Scheduled");
  CHECK(b.at("Last_Error__c").is_null());
  CHECK(b.at("Next_Run__c") == "2026-03-02T08:00:00.000Z");
  CHECK(plan.cursor == "2026-03-01T10:00:00Z");
}

TEST_CASE("plan: reading back our own status changes nothing (no PATCH loop)") {
  auto ctx = context();
  ScheduleRecord r = record("a01A", "Daily", "2026-03-01T10:00:00Z");
  auto first = plan_sync({r}, {}, {}, ctx);
  auto synced = after(first, {});
  r.last_status = "Scheduled";
  r.next_run = "2026-03-02T08:00:00.000Z";
  r.modstamp = "2026-03-01T10:00:01Z";  // our PATCH moved it
  ctx.cursor = first.cursor;
  auto second = plan_sync({r}, synced, {"acme/Daily"}, ctx);
  CHECK(second.add.empty());
  CHECK(second.update.empty());
  CHECK(second.remove.empty());
  CHECK(second.patches.empty());
  CHECK(second.unchanged == 1);
  CHECK(second.cursor == "2026-03-01T10:00:01Z");
  r.last_status = "Failed";  // a run wrote its outcome: still scheduled, nothing to write
  CHECK(plan_sync({r}, synced, {"acme/Daily"}, ctx).patches.empty());
}

TEST_CASE("plan: an invalid record is not scheduled and gets Invalid with the reason, once") {
  auto ctx = context();
  ScheduleRecord r = record("a01B", "Bad", "2026-03-01T10:00:00Z");
  r.recipients = "a@acme.com, nobody";
  auto plan = plan_sync({r}, {}, {}, ctx);
  CHECK(plan.add.empty());
  CHECK(plan.invalid == 1);
  REQUIRE(plan.new_invalid.size() == 1);
  CHECK(plan.new_invalid[0].second.rfind("Recipients__c: \"nobody\"", 0) == 0);
  REQUIRE(plan.patches.size() == 1);
  auto b = body(plan.patches[0]);
  CHECK(b.at("Last_Status__c") == "Invalid");
  CHECK(b.at("Last_Error__c") == json::value(plan.new_invalid[0].second));
  CHECK(b.at("Next_Run__c").is_null());

  r.last_status = "Invalid";
  r.last_error = plan.new_invalid[0].second + "\r\n";  // as Salesforce may give it back
  auto again = plan_sync({r}, {}, {}, ctx);
  CHECK(again.patches.empty());
  CHECK(again.invalid == 1);
  CHECK(again.new_invalid.empty());    // not news: not reported again
  r.recipients = "a@acme.com, other";  // a new reason: written
  CHECK(plan_sync({r}, {}, {}, ctx).patches.size() == 1);
}

TEST_CASE("plan: a record that turns invalid removes its schedule") {
  auto ctx = context();
  ScheduleRecord r = record("a01A", "Daily", "2026-03-01T10:00:00Z");
  auto synced = after(plan_sync({r}, {}, {}, ctx), {});
  r.cron = "every day";
  r.last_status = "Succeeded";
  auto plan = plan_sync({r}, synced, {"acme/Daily"}, ctx);
  REQUIRE(plan.remove.size() == 1);
  CHECK(plan.remove[0].sf_record_id == "a01A");
  CHECK(body(plan.patches.at(0)).at("Last_Status__c") == "Invalid");
}

TEST_CASE("plan: switched off removes the schedule and says Paused; deleted removes it quietly") {
  auto ctx = context();
  ScheduleRecord a = record("a01A", "A", "2026-03-01T10:00:00Z");
  ScheduleRecord b = record("a01B", "B", "2026-03-01T10:00:01Z");
  auto synced = after(plan_sync({a, b}, {}, {}, ctx), {});
  REQUIRE(synced.size() == 2);
  a.active = false;
  a.last_status = "Invalid";
  a.next_run = "2026-03-02T08:00:00.000Z";
  b.deleted = true;
  auto plan = plan_sync({a, b}, synced, {"acme/A", "acme/B"}, ctx);
  CHECK(plan.remove.size() == 2);
  CHECK(plan.inactive == 1);
  CHECK(plan.deleted == 1);
  REQUIRE(plan.patches.size() == 1);  // none for the deleted record
  auto p = body(plan.patches[0]);
  CHECK(p.at("Last_Status__c") == "Paused");
  CHECK(p.at("Next_Run__c").is_null());
  CHECK(p.at("Last_Error__c").is_null());  // the Invalid reason no longer applies
  a.last_status = "Paused";
  a.next_run.clear();
  CHECK(plan_sync({a}, after(plan, synced), {}, ctx).patches.empty());
}

TEST_CASE(
    "plan: a changed record updates its schedule and its next run, keeping the status and the "
    "pause") {
  auto ctx = context();
  ScheduleRecord r = record("a01A", "Daily", "2026-03-01T10:00:00Z");
  auto synced = after(plan_sync({r}, {}, {}, ctx), {});
  synced[0].paused = true;
  synced[0].pause_reason = "paused by operator";
  r.last_status = "Succeeded";
  r.cron = "30 9 * * *";
  auto plan = plan_sync({r}, synced, {"acme/Daily"}, ctx);
  REQUIRE(plan.update.size() == 1);
  CHECK(plan.update[0].id == synced[0].id);
  CHECK(plan.update[0].cron == "30 9 * * *");
  CHECK(plan.update[0].paused);
  CHECK(plan.update[0].pause_reason == "paused by operator");
  REQUIRE(plan.patches.size() == 1);
  auto b = body(plan.patches[0]);
  CHECK_FALSE(b.contains("Last_Status__c"));
  CHECK(b.at("Next_Run__c").is_null());  // paused by the operator: no next run
  synced[0].paused = false;
  auto unpaused = plan_sync({r}, synced, {"acme/Daily"}, ctx);
  CHECK(body(unpaused.patches.at(0)).at("Next_Run__c") == "2026-03-02T09:30:00.000Z");

  r.recipients = "b@acme.com";  // not a timing change: no PATCH
  r.cron = "0 8 * * *";
  auto same_timing = plan_sync({r}, synced, {"acme/Daily"}, ctx);
  CHECK(same_timing.update.size() == 1);
  CHECK(same_timing.patches.empty());
}

TEST_CASE("plan: a taken name gets the record id, and keeps it") {
  auto ctx = context();
  std::set<std::string> taken = {"acme/Daily"};  // a local schedule
  ScheduleRecord a = record("a01A", "Daily", "2026-03-01T10:00:00Z");
  ScheduleRecord b = record("a01B", "Daily", "2026-03-01T10:00:01Z");
  auto plan = plan_sync({a, b}, {}, taken, ctx);
  REQUIRE(plan.add.size() == 2);
  CHECK(plan.add[0].name == "acme/Daily (a01A)");
  CHECK(plan.add[1].name == "acme/Daily (a01B)");
  auto synced = after(plan, {});
  a.last_status = b.last_status = "Scheduled";
  auto again =
      plan_sync({a, b}, synced, {"acme/Daily", "acme/Daily (a01A)", "acme/Daily (a01B)"}, ctx);
  CHECK(again.unchanged == 2);
  CHECK(again.update.empty());
  b.name = "Nightly";  // renamed: the plain new name is free
  auto renamed =
      plan_sync({b}, synced, {"acme/Daily", "acme/Daily (a01A)", "acme/Daily (a01B)"}, ctx);
  REQUIRE(renamed.update.size() == 1);
  CHECK(renamed.update[0].name == "acme/Nightly");
}

TEST_CASE(
    "plan: a full read removes schedules whose record is gone; the cursor is the newest stamp") {
  auto ctx = context();
  ScheduleRecord a = record("a01A", "A", "2026-03-01T10:00:05Z");
  ScheduleRecord b = record("a01B", "B", "2026-03-01T10:00:01Z");
  auto synced = after(plan_sync({a, b}, {}, {}, ctx), {});
  a.last_status = "Scheduled";
  ctx.full = true;
  auto plan = plan_sync({a}, synced, {"acme/A", "acme/B"}, ctx);
  REQUIRE(plan.remove.size() == 1);
  CHECK(plan.remove[0].sf_record_id == "a01B");
  CHECK(plan.cursor == "2026-03-01T10:00:05Z");
  ctx.full = false;
  ctx.cursor = "2026-03-01T10:00:05Z";
  auto incremental = plan_sync({}, synced, {}, ctx);  // nothing read: nothing removed
  CHECK(incremental.remove.empty());
  CHECK(incremental.cursor == "2026-03-01T10:00:05Z");
}

TEST_CASE("plan: a record read twice counts once, as last read") {
  auto ctx = context();
  ScheduleRecord old = record("a01A", "A", "2026-03-01T10:00:00Z");
  ScheduleRecord now = old;
  now.active = false;
  now.modstamp = "2026-03-01T10:00:02Z";
  auto plan = plan_sync({old, now}, {}, {}, ctx);
  CHECK(plan.add.empty());
  CHECK(plan.inactive == 1);
  CHECK(plan.cursor == "2026-03-01T10:00:02Z");
}

TEST_CASE("plan: Last_Error__c gets at most 4000 characters, cut between characters") {
  std::string long_reason;
  for (int i = 0; i < 5000; ++i) long_reason += "é";
  std::string cut = error_text(long_reason);
  CHECK(cut.size() == 8000);
  CHECK(error_text("short") == "short");
}

TEST_CASE("plan: records past the per-connection cap are refused with the reason written back") {
  auto ctx = context();
  ctx.max_schedules = 2;
  std::vector<ScheduleRecord> records;
  for (char c : std::string("abcd")) {
    records.push_back(record(std::string("a01") + c, std::string("R") + c, "2026-03-01T10:00:00Z"));
  }
  auto plan = plan_sync(records, {}, {}, ctx);
  REQUIRE(plan.add.size() == 2);
  CHECK(plan.invalid == 2);
  REQUIRE(plan.new_invalid.size() == 2);
  CHECK(plan.new_invalid[0].first == "a01c");
  const std::string& reason = plan.new_invalid[0].second;
  CHECK(reason.find("already has 2 schedules") != std::string::npos);
  CHECK(reason.find("sync.max_schedules_per_connection") != std::string::npos);
  CHECK(reason.find("acme") == std::string::npos);  // no operator names on customer records
  int refused = 0;
  for (const auto& p : plan.patches) {
    if (p.status != "Invalid") continue;
    ++refused;
    CHECK(body(p).at("Last_Error__c").as_string() == reason);
  }
  CHECK(refused == 2);

  // Existing schedules keep their place; switching one off frees it for the next record.
  auto synced = after(plan, {});
  records[0].active = false;
  records[2].modstamp = "2026-03-01T11:00:00Z";
  auto next = plan_sync({records[0], records[2]}, synced, {"acme/Ra", "acme/Rb"}, ctx);
  REQUIRE(next.add.size() == 1);
  CHECK(next.add[0].sf_record_id == "a01c");
  CHECK(next.remove.size() == 1);
}

}  // namespace
}  // namespace reportd::sync
