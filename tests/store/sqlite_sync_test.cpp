// SqliteStore: synced schedules per connection and the sync cursor.
#include <doctest/doctest.h>

#include "engines.hpp"

namespace reportd::store {
namespace {

std::int64_t connect(Store& s, const std::string& name) {
  Connection c;
  c.name = name;
  c.login_url = "https://login.example.com";
  c.client_id = "cid";
  auto id = s.add_connection(c, [](Connection w) -> Result<Connection> {
    w.sealed_refresh_token = {1};
    w.key_id = "k";
    return w;
  });
  REQUIRE(id.ok());
  return *id;
}

Schedule schedule(std::int64_t conn, const std::string& name, const std::string& record) {
  Schedule s;
  s.name = name;
  s.connection_id = conn;
  s.origin = record.empty() ? ScheduleOrigin::kLocal : ScheduleOrigin::kSalesforce;
  s.sf_record_id = record;
  s.cron = "0 8 * * *";
  s.source = "SELECT Id FROM Account";
  s.formats = {"csv"};
  s.recipients = {"a@example.com"};
  s.owner_email = "owner@example.com";
  s.body = "Hello ✓";
  return s;
}

TEST_CASE_TEMPLATE("store: synced schedules are listed per connection, local ones are not", E, Sqlite, Postgres) {
  auto opened = fresh_store<E>();
  if (!opened) return;
  Store& s = *opened;
  std::int64_t acme = connect(s, "acme");
  std::int64_t other = connect(s, "other");
  REQUIRE(s.add_schedule(schedule(acme, "acme/A", "a01A")).ok());
  REQUIRE(s.add_schedule(schedule(acme, "local", "")).ok());
  REQUIRE(s.add_schedule(schedule(other, "other/B", "a01B")).ok());
  auto synced = s.list_synced_schedules(acme);
  REQUIRE(synced.ok());
  REQUIRE(synced->size() == 1);
  CHECK((*synced)[0].sf_record_id == "a01A");
  CHECK((*synced)[0].owner_email == "owner@example.com");
  CHECK((*synced)[0].body == "Hello ✓");
  CHECK(s.list_synced_schedules(other)->size() == 1);
  CHECK(s.list_synced_schedules(999)->empty());
}

TEST_CASE_TEMPLATE("store: the sync cursor is absent, then stored and replaced; it goes with its connection", E, Sqlite, Postgres) {
  auto opened = fresh_store<E>();
  if (!opened) return;
  Store& s = *opened;
  std::int64_t acme = connect(s, "acme");
  auto none = s.get_sync_state(acme);
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  SyncState st;
  st.connection_id = acme;
  st.modstamp = "2026-03-01T10:00:00Z";
  st.synced_at_ms = 5;
  st.error = "held";
  REQUIRE(s.put_sync_state(st).ok());
  st.modstamp = "2026-03-01T10:00:09Z";
  st.synced_at_ms = 6;
  st.error.clear();
  REQUIRE(s.put_sync_state(st).ok());
  auto got = s.get_sync_state(acme);
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  CHECK(got->value().modstamp == "2026-03-01T10:00:09Z");
  CHECK(got->value().synced_at_ms == 6);
  CHECK(got->value().error.empty());
  REQUIRE(s.remove_connection("acme").ok());
  CHECK_FALSE(s.get_sync_state(acme)->has_value());
}

}  // namespace
}  // namespace reportd::store
