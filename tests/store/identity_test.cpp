// Identity is never reused (issue #12): connections, schedules and runs get
// AUTOINCREMENT through migration 3, which rebuilds the tables of a database
// at schema version 2 with its rows, keys and indexes intact; connection
// statuses are an enum with the old text forms in the database.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "engines.hpp"
#include "store/migrations.hpp"
#include "store/sqlite_store.hpp"

namespace reportd::store {
namespace {

std::string temp_db() {
  auto dir = std::filesystem::temp_directory_path() /
             ("reportd-identity-" + std::to_string(::getpid()) + "-" +
              std::to_string(std::rand()));
  std::filesystem::create_directories(dir);
  return (dir / "reportd.db").string();
}

std::int64_t count(Db& db, const char* sql) {
  Stmt q(db, sql);
  REQUIRE(q.step());
  return q.int64(0);
}

// A database as reportd wrote it at schema version 2: two connections (one
// needs-reauth), a schedule each, runs and a delivery; the newest connection
// was removed before the upgrade.
void write_version_2(const std::string& path) {
  auto db = Db::open(path);
  REQUIRE(db.ok());
  REQUIRE(db->exec("PRAGMA foreign_keys=ON", "test").ok());
  REQUIRE(migrate_to(*db, 2).ok());
  REQUIRE(count(*db, "PRAGMA user_version") == 2);
  Status st = db->exec(R"sql(
INSERT INTO connections (id, name, login_url, client_id, refresh_token, key_id, status,
                         status_reason, created_at_ms)
  VALUES (1, 'acme', 'https://login.example.com', 'cid', x'01020304', 'k1', 'ok', '', 10),
         (2, 'globex', 'https://login.example.com', 'cid', x'05060708', 'k1', 'needs-reauth',
          'revoked', 20),
         (3, 'initech', 'https://login.example.com', 'cid', x'09', 'k1', 'ok', '', 30);
INSERT INTO schedules (id, name, connection_id, cron, tz, source_kind, source, formats,
                       recipients, created_at_ms, owner_email)
  VALUES (1, 'daily', 1, '0 9 * * *', 'UTC', 'soql', 'SELECT Id FROM Account', 'csv',
          'a@acme.example', 1, 'owner@acme.example'),
         (2, 'weekly', 2, '0 9 * * 1', 'UTC', 'report', '00O000000000001', 'xlsx',
          'b@globex.example', 2, '');
INSERT INTO runs (id, schedule_id, nominal_s, state, claimed_at_ms)
  VALUES (1, 1, 100, 'succeeded', 1), (2, 2, 100, 'failed', 1);
INSERT INTO deliveries (run_id, channel, recipient, state, updated_at_ms)
  VALUES (1, 'smtp', 'a@acme.example', 'sent', 1);
INSERT INTO sync_state (connection_id, modstamp) VALUES (1, '2026-01-01T00:00:00Z');
DELETE FROM connections WHERE id = 3;
)sql",
                       "fill version 2");
  REQUIRE_MESSAGE(st.ok(), st.message());
}

}  // namespace

TEST_CASE("store: migration 3 upgrades a version-2 database with every row, key and index") {
  const std::string path = temp_db();
  write_version_2(path);
  auto opened = SqliteStore::open(path);
  REQUIRE_MESSAGE(opened.ok(), opened.status().message());
  SqliteStore& s = **opened;
  CHECK(count(s.db(), "PRAGMA user_version") == schema_version());
  CHECK(schema_version() >= 3);

  auto acme = s.get_connection(1);
  REQUIRE(acme.ok());
  CHECK(acme->name == "acme");
  CHECK(acme->status == ConnectionStatus::kActive);
  CHECK(acme->generation == 1);
  CHECK(acme->sealed_refresh_token == Bytes{1, 2, 3, 4});
  auto globex = s.find_connection("globex");
  REQUIRE(globex.ok());
  CHECK(globex->status == ConnectionStatus::kNeedsReauth);
  CHECK(globex->status_reason == "revoked");
  auto daily = s.find_schedule("daily");
  REQUIRE(daily.ok());
  CHECK(daily->connection_id == 1);
  CHECK(daily->owner_email == "owner@acme.example");
  CHECK(s.list_deliveries(1)->size() == 1);
  CHECK(s.get_sync_state(1)->has_value());
  CHECK(count(s.db(), "SELECT count(*) FROM sqlite_master WHERE name = 'schedules_connection'") ==
        1);
  CHECK(count(s.db(), "SELECT count(*) FROM sqlite_master WHERE name = 'runs_state'") == 1);
  CHECK(*s.integrity_check() == "ok");

  // The new status is admitted; the text form is what the database holds.
  REQUIRE(s.set_connection_status(2, ConnectionStatus::kOrgMismatch, "token of 00D2").ok());
  CHECK(s.get_connection(2)->status == ConnectionStatus::kOrgMismatch);
  CHECK(count(s.db(), "SELECT count(*) FROM connections WHERE status = 'org-mismatch'") == 1);

  // Foreign keys still hold and still cascade after the rebuild.
  REQUIRE(s.remove_connection("globex").ok());
  CHECK(!s.find_schedule("weekly").ok());
  CHECK(count(s.db(), "SELECT count(*) FROM runs WHERE schedule_id = 2") == 0);
  CHECK(count(s.db(), "PRAGMA foreign_keys") == 1);
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
}

TEST_CASE_TEMPLATE("store: a removed connection's, schedule's or run's id is never handed out again", E, Sqlite, Postgres) {
  auto opened = fresh_store<E>();
  if (!opened) return;
  Store& s = *opened;
  auto add = [&s](const std::string& name) {
    Connection c;
    c.name = name;
    c.login_url = "https://login.example.com";
    c.client_id = "cid";
    auto id = s.add_connection(c, [](Connection row) -> Result<Connection> { return row; });
    REQUIRE(id.ok());
    return *id;
  };
  auto schedule = [&s](std::int64_t conn, const std::string& name) {
    Schedule sc;
    sc.name = name;
    sc.connection_id = conn;
    sc.cron = "0 9 * * *";
    sc.source = "SELECT Id FROM Account";
    sc.formats = {"csv"};
    auto id = s.add_schedule(sc);
    REQUIRE(id.ok());
    return *id;
  };
  const std::int64_t a = add("tenant-a");
  const std::int64_t sa = schedule(a, "report");
  auto run_a = s.claim_occurrence(sa, 100, RunState::kPending, "", 1);
  REQUIRE(run_a.ok());
  REQUIRE(run_a->has_value());

  // Offboard A (the newest rows everywhere), onboard B with the same names.
  REQUIRE(s.remove_connection("tenant-a").ok());
  const std::int64_t b = add("tenant-a");
  const std::int64_t sb = schedule(b, "report");
  auto run_b = s.claim_occurrence(sb, 100, RunState::kPending, "", 1);
  REQUIRE(run_b.ok());
  REQUIRE(run_b->has_value());
  CHECK(b > a);
  CHECK(sb > sa);
  CHECK(**run_b > **run_a);
  // What still holds A's ids finds nothing, never B's rows.
  CHECK(s.get_connection(a).status().kind() == ErrorKind::kNotFound);
  CHECK(s.get_schedule(sa).status().kind() == ErrorKind::kNotFound);
  CHECK(s.get_run(**run_a).status().kind() == ErrorKind::kNotFound);
}

TEST_CASE_TEMPLATE("store: a transaction rolls back the calls inside it, their own transactions too", E, Sqlite, Postgres) {
  auto opened = fresh_store<E>();
  if (!opened) return;
  Store& s = *opened;
  Status st = s.transaction([](Store& t) -> Status {
    Connection c;
    c.name = "inner";
    c.login_url = "https://login.example.com";
    c.client_id = "cid";
    // add_connection opens a transaction of its own: it joins this one.
    auto id = t.add_connection(c, [](Connection row) -> Result<Connection> { return row; });
    if (!id.ok()) return id.status();
    return Status::error(ErrorKind::kInvalidArgument, "changed my mind");
  });
  CHECK(!st.ok());
  CHECK(s.list_connections()->empty());
  st = s.transaction([](Store& t) -> Status { return t.bump_connection_generation(42); });
  CHECK(st.ok());
  CHECK(to_string(ConnectionStatus::kOrgMismatch) == "org-mismatch");
  CHECK(connection_status_from("ok") == ConnectionStatus::kActive);
  CHECK(!connection_status_from("active").has_value());
}

}  // namespace reportd::store

namespace reportd::store {

TEST_CASE("store: the run-as migration makes synced schedules run as their owners and resyncs") {
  const std::string path = temp_db();
  write_version_2(path);
  {
    auto db = Db::open(path);
    REQUIRE(db.ok());
    REQUIRE(db->exec("UPDATE schedules SET origin = 'salesforce', sf_record_id = 'a01x' "
                     "WHERE id = 1", "make it synced").ok());
  }
  auto opened = SqliteStore::open(path);
  REQUIRE_MESSAGE(opened.ok(), opened.status().message());
  SqliteStore& s = **opened;
  CHECK(s.get_schedule(1)->run_as == RunAs{RunAsKind::kOwner, {}});
  CHECK(s.get_schedule(2)->run_as == RunAs{});  // local: today's behaviour
  CHECK((*s.get_sync_state(1))->modstamp.empty());  // every record is read again

  // The new columns round-trip: a user, the owner's username, a JWT setting, ran_as.
  auto sched = s.get_schedule(2);
  sched->run_as = {RunAsKind::kUser, "ann@globex.example"};
  sched->owner_username = "ann@globex.example";
  REQUIRE(s.update_schedule(*sched).ok());
  CHECK(s.get_schedule(2)->run_as.username == "ann@globex.example");
  JwtSetting jwt{"3MVG9", {1, 2, 3}, "AA", "BB"};
  REQUIRE(s.set_connection_jwt(1, jwt).ok());
  CHECK(s.get_connection(1)->jwt.sealed_key == Bytes{1, 2, 3});
  CHECK(s.get_connection(1)->jwt.cert_sha256 == "BB");
  auto run = s.get_run(1);
  run->ran_as = "ann@globex.example";
  REQUIRE(s.update_run(*run).ok());
  CHECK(s.get_run(1)->ran_as == "ann@globex.example");
  // Text outside the known forms never reaches the table.
  CHECK_FALSE(s.db().exec("UPDATE schedules SET run_as = 'admin' WHERE id = 2", "bad").ok());
}

}  // namespace reportd::store
