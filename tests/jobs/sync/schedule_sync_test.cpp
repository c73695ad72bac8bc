// ScheduleSync against a FakeOrg and a real SQLite store: what a sync costs
// (one query when nothing changed), what it applies, and how it holds its
// cursor when a status could not be written. No test sleeps.
#include "jobs/sync/schedule_sync.hpp"

#include <doctest/doctest.h>

#include "tests/jobs/sync/sync_fixture.hpp"

namespace reportd::sync {
namespace {

using test::SyncFixture;

struct ScheduleSyncFixture : SyncFixture {
  ScheduleSync syncer{*thread, provider, clock, SyncOptions{}};

  SyncReport sync(bool full = false) {
    auto r = run(syncer.sync(connection, full));
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    return std::move(r).value();
  }
  std::vector<store::Schedule> synced() { return *db->list_synced_schedules(connection.id); }
  store::SyncState state() { return db->get_sync_state(connection.id)->value(); }
};

TEST_CASE(
    "sync: the first sync reads every record; then an unchanged sync is one query, no PATCH") {
  ScheduleSyncFixture f;
  f.org.add(f.record("a01A", "Daily"));
  ScheduleRecord bad = f.record("a01B", "Leaky");
  bad.recipients = "a@acme.com\nleak@evil.example";
  f.org.add(bad);
  ScheduleRecord off = f.record("a01C", "Off");
  off.active = false;
  f.org.add(off);

  SyncReport first = f.sync();
  CHECK(first.full);
  CHECK(first.records == 3);
  CHECK(first.added == 1);
  CHECK(first.invalid == 1);
  CHECK(first.inactive == 1);
  CHECK(first.patched == 3);
  CHECK(f.org.queries.at(0).find(" FROM Reportd_Schedule__c ORDER BY SystemModstamp, Id") !=
        std::string::npos);
  auto synced = f.synced();
  REQUIRE(synced.size() == 1);
  CHECK(synced[0].name == "acme/Daily");
  CHECK(synced[0].owner_email == "owner@acme.com");
  CHECK(f.org.find("a01A")->last_status == "Scheduled");
  CHECK(f.org.find("a01A")->next_run == "2026-03-03T08:00:00.000Z");
  CHECK(f.org.find("a01B")->last_status == "Invalid");
  CHECK(f.org.find("a01B")->last_error ==
        "Recipients__c: recipient leak@evil.example refused: its domain is outside those "
        "allowed for this connection (acme.com)");
  CHECK(f.org.find("a01C")->last_status == "Paused");

  // Our three PATCHes moved the records: the next sync reads them again and
  // finds nothing to do.
  SyncReport second = f.sync();
  CHECK_FALSE(second.full);
  CHECK(second.records == 3);
  CHECK(second.patched == 0);
  CHECK_FALSE(second.changed());
  CHECK(f.org.queries.at(1).find("WHERE SystemModstamp >= 2026-03-01T10:00:02Z") !=
        std::string::npos);

  const std::size_t patches = f.org.patches.size();
  SyncReport third = f.sync();
  CHECK(f.org.queries.size() == 3);  // one query per sync
  CHECK(f.org.patches.size() == patches);
  CHECK(third.records == 1);  // the boundary second is read again, harmlessly
  CHECK_FALSE(third.changed());
  CHECK(f.state().modstamp == third.cursor);
  CHECK(f.state().error.empty());
  CHECK(f.state().synced_at_ms == f.clock.wall_now().time_since_epoch().count());
}

TEST_CASE("sync: the schedule cap refuses records past it; a read past ten times it changes nothing") {
  ScheduleSyncFixture f;
  SyncOptions o;
  o.max_schedules = 2;
  f.syncer.set_options(o);
  for (const char* id : {"a01A", "a01B", "a01C"}) f.org.add(f.record(id, std::string("R") + id));
  SyncReport r = f.sync();
  CHECK(r.added == 2);
  CHECK(r.invalid == 1);
  CHECK(f.synced().size() == 2);
  CHECK(f.org.find("a01C")->last_status == "Invalid");
  CHECK(f.org.find("a01C")->last_error.find("sync.max_schedules_per_connection") != std::string::npos);

  for (int i = 0; i < 20; ++i) f.org.add(f.record("a02" + std::to_string(i), "S" + std::to_string(i)));
  auto read = f.run(f.syncer.sync(f.connection, true));
  REQUIRE_FALSE(read.ok());
  CHECK(read.status().code() == "too-large");
  CHECK(read.status().message().find("more than 20") != std::string::npos);
  CHECK(f.synced().size() == 2);  // nothing changed
}

TEST_CASE("sync: create, update, deactivate and delete follow within one sync") {
  ScheduleSyncFixture f;
  f.org.add(f.record("a01A", "Daily"));
  f.org.add(f.record("a01B", "Weekly"));
  f.sync();
  REQUIRE(f.synced().size() == 2);

  ScheduleRecord& a = *f.org.find("a01A");
  a.cron = "15 9 * * *";
  a.recipients = "a@acme.com; b@acme.com";
  f.org.touch(a);
  f.org.add(f.record("a01D", "New"));
  SyncReport r = f.sync();
  CHECK(r.updated == 1);
  CHECK(r.added == 1);
  auto by_id = [&](const std::string& id) {
    for (const auto& s : f.synced())
      if (s.sf_record_id == id) return std::optional<store::Schedule>(s);
    return std::optional<store::Schedule>();
  };
  REQUIRE(by_id("a01A"));
  CHECK(by_id("a01A")->cron == "15 9 * * *");
  CHECK(by_id("a01A")->recipients == std::vector<std::string>{"a@acme.com", "b@acme.com"});
  CHECK(f.org.find("a01A")->next_run == "2026-03-03T09:15:00.000Z");

  f.org.find("a01A")->active = false;
  f.org.touch(*f.org.find("a01A"));
  f.org.find("a01B")->deleted = true;
  f.org.touch(*f.org.find("a01B"));
  r = f.sync();
  CHECK(r.removed == 2);
  CHECK(r.deleted == 1);
  CHECK(r.inactive == 1);
  CHECK_FALSE(by_id("a01A"));
  CHECK_FALSE(by_id("a01B"));
  CHECK(by_id("a01D"));
  CHECK(f.org.find("a01A")->last_status == "Paused");
  CHECK(f.org.find("a01B")->last_status == "Scheduled");  // deleted: nothing written

  f.org.find("a01A")->active = true;  // switched on again: scheduled again
  f.org.touch(*f.org.find("a01A"));
  r = f.sync();
  CHECK(r.added == 1);
  CHECK(f.org.find("a01A")->last_status == "Scheduled");
}

TEST_CASE(
    "sync: while the API budget guard is on, statuses wait and their records are read again") {
  ScheduleSyncFixture f;
  ScheduleRecord bad = f.record("a01B", "Bad");
  bad.cron = "never";
  f.org.add(bad);
  f.org.usage = salesforce::ApiUsage{95, 100};
  SyncReport r = f.sync();
  CHECK(r.invalid == 1);
  CHECK(r.held == 1);
  CHECK(r.patched == 0);
  CHECK(f.org.patches.empty());
  CHECK(f.state().error.find("wait while the org's API usage is above the budget") !=
        std::string::npos);
  CHECK(f.state().modstamp == "2026-03-01T10:00:00Z");

  r = f.sync();
  CHECK(r.held == 1);
  CHECK(f.org.patches.empty());

  f.org.usage = salesforce::ApiUsage{10, 100};
  r = f.sync();
  CHECK(r.patched == 1);
  CHECK(f.org.find("a01B")->last_status == "Invalid");
  CHECK(f.org.find("a01B")->last_error.rfind("Cron__c: ", 0) == 0);
  CHECK(f.state().error.empty());
  r = f.sync();
  CHECK(r.patched == 0);
}

TEST_CASE("sync: a failed status write is retried at the next sync") {
  ScheduleSyncFixture f;
  f.org.add(f.record("a01A", "Daily"));
  f.org.fail_patch =
      Status::error(ErrorKind::kTransient, "salesforce: PATCH: 503", "SERVER_UNAVAILABLE");
  SyncReport r = f.sync();
  CHECK(r.added == 1);
  CHECK(r.held == 1);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].message().find("sync acme: write the status of a01A") == 0);
  CHECK_FALSE(f.state().error.empty());
  f.org.fail_patch = Status();
  r = f.sync();
  CHECK(r.patched == 1);
  CHECK(r.unchanged == 1);
  CHECK(f.org.find("a01A")->last_status == "Scheduled");
}

TEST_CASE(
    "sync: an authorization error marks the connection needs-reauth as a run does, and changes "
    "nothing else") {
  ScheduleSyncFixture f;
  f.org.add(f.record("a01A", "Daily"));
  f.sync();
  const std::string cursor = f.state().modstamp;
  // No relay: the notice is attempted (the schedule has an owner) and its
  // failure is reported with the error, not thrown.
  jobs::FailureNotices notices(*f.thread, nullptr, jobs::NoticeOptions());
  f.syncer.set_notices(&notices);
  f.org.fail_query =
      Status::error(ErrorKind::kAuth, "salesforce: token: invalid_grant", "invalid_grant");
  const std::size_t queries = f.org.queries.size();
  auto r = f.run(f.syncer.sync(f.connection, false));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().kind() == ErrorKind::kAuth);
  CHECK(r.status().code() == "invalid_grant");
  const std::string& m = r.status().message();
  CHECK(m.rfind("sync acme: read Reportd_Schedule__c: salesforce: token: invalid_grant; "
                "connection acme is now marked needs-reauth",
                0) == 0);
  CHECK(m.find("(the re-auth notice could not be sent: no [smtp] relay is configured)") !=
        std::string::npos);
  CHECK(m.find("`reportd connections reauth acme --refresh-token-stdin < token-file (or "
               "--authorize --redirect-uri URL)`") != std::string::npos);
  // The run pipeline's store call: status and reason on the connection.
  auto c = f.db->get_connection(f.connection.id);
  CHECK(c->status == store::ConnectionStatus::kNeedsReauth);
  CHECK(c->status_reason == "sync acme: read Reportd_Schedule__c: salesforce: token: invalid_grant");
  CHECK(f.provider.forgotten == std::vector<std::int64_t>{f.connection.id});
  CHECK(f.org.queries.size() == queries + 1);  // one read, not retried
  CHECK(f.state().modstamp == cursor);
  CHECK(f.state().error == m);
  CHECK(f.synced().size() == 1);  // nothing removed on a failed read
}

TEST_CASE("sync: a status PATCH refused for authorization marks the connection too") {
  ScheduleSyncFixture f;
  for (const char* id : {"a01A", "a01B"}) f.org.add(f.record(id, id));
  f.org.fail_patch = Status::error(ErrorKind::kAuth, "salesforce: token: invalid_grant",
                                   "invalid_grant");
  SyncReport r = f.sync();
  CHECK(r.added == 2);
  CHECK(r.held == 2);
  CHECK(f.org.patches.size() == 1);  // the second waits: no request after the refusal
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].message().find("is now marked needs-reauth") != std::string::npos);
  CHECK(f.db->get_connection(f.connection.id)->status == store::ConnectionStatus::kNeedsReauth);
}

TEST_CASE("sync: an org without the object says to deploy it") {
  ScheduleSyncFixture f;
  f.org.fail_query = Status::error(
      ErrorKind::kPermanent, "salesforce: GET /services/data/v61.0/queryAll: 400 INVALID_TYPE",
      "INVALID_TYPE");
  auto r = f.run(f.syncer.sync(f.connection, false));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("deploy the schedule object") != std::string::npos);
}

TEST_CASE("sync: an org whose object lacks Burst__c is read without it, and told once") {
  ScheduleSyncFixture f;
  f.org.lacks_burst = true;
  f.org.lacks_next_fires = true;
  ScheduleRecord team = f.record("a01A", "Team");
  team.burst = true;  // cannot be, in such an org: read as not bursting
  f.org.add(team);

  SyncReport first = f.sync();
  CHECK(first.added == 1);
  CHECK(first.errors.empty());
  REQUIRE(f.org.queries.size() == 2);
  CHECK(f.org.queries[0].find("Burst__c") != std::string::npos);
  CHECK(f.org.queries[1].find("Burst__c") == std::string::npos);
  CHECK(f.org.queries[1].find("Run_As__c, Last_Status__c") != std::string::npos);
  REQUIRE(first.warnings.size() == 1);
  for (const char* says : {"Burst__c", "none bursts", "deploy reportd's salesforce/"}) {
    CHECK(first.warnings[0].find(says) != std::string::npos);
  }
  REQUIRE(f.synced().size() == 1);
  CHECK_FALSE(f.synced()[0].burst);
  CHECK(f.org.find("a01A")->last_status == "Scheduled");  // Next_Fires__c's own fallback
  CHECK(f.state().error.empty());

  SyncReport second = f.sync(true);  // the same connection: not told again
  CHECK(second.warnings.empty());
  CHECK(second.errors.empty());
  CHECK(f.org.queries.size() == 4);

  // Deployed: read with the field, no warning.
  f.org.lacks_burst = false;
  f.org.find("a01A")->burst = true;
  f.org.touch(*f.org.find("a01A"));
  SyncReport third = f.sync();
  CHECK(third.updated == 1);
  CHECK(f.org.queries.size() == 5);
  CHECK(f.synced()[0].burst);
}

TEST_CASE("sync: --full reads every record and removes schedules whose record is gone for good") {
  ScheduleSyncFixture f;
  f.org.add(f.record("a01A", "Daily"));
  f.org.add(f.record("a01B", "Weekly"));
  f.sync();
  REQUIRE(f.synced().size() == 2);
  f.org.records.erase(f.org.records.begin() + 1);  // purged from the recycle bin
  CHECK(f.sync().removed == 0);                    // incremental: cannot tell
  SyncReport r = f.sync(true);
  CHECK(r.full);
  CHECK(r.removed == 1);
  CHECK(f.org.queries.back().find("WHERE") == std::string::npos);
  REQUIRE(f.synced().size() == 1);
  CHECK(f.synced()[0].sf_record_id == "a01A");
}

TEST_CASE("sync: a CLI schedule that holds the name is left alone; the record's gets its id") {
  ScheduleSyncFixture f;
  store::Schedule local;
  local.name = "acme/Daily";
  local.connection_id = f.connection.id;
  local.cron = "0 6 * * *";
  local.source = "SELECT Id FROM Account";
  local.formats = {"csv"};
  local.recipients = {"x@acme.com"};
  REQUIRE(f.db->add_schedule(local).ok());
  f.org.add(f.record("a01A", "Daily"));
  SyncReport r = f.sync();
  CHECK(r.added == 1);
  CHECK(f.synced().at(0).name == "acme/Daily (a01A)");
  CHECK(f.db->find_schedule("acme/Daily")->origin == store::ScheduleOrigin::kLocal);
}

}  // namespace
}  // namespace reportd::sync
