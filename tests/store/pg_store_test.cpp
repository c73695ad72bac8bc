// What PostgreSQL needs beyond the shared suite: its schema version table,
// data_version across sessions, claims and failures inside transactions as
// SQLite has them, and [store] url checks (these need no server).
#include "store/pg_store.hpp"

#include <doctest/doctest.h>

#include "engines.hpp"
#include "store/migrations.hpp"
#include "store/open.hpp"

namespace reportd::store {
namespace {

std::unique_ptr<PgStore> second_session() {
  auto s = PgStore::open(pg_test_url(), {});
  REQUIRE_MESSAGE(s.ok(), s.status().message());
  return std::move(s).value();
}

std::int64_t meta(PgStore& s, const char* column) {
  auto r = s.conn().exec(std::string("SELECT ") + column + " FROM reportd_meta", "test");
  REQUIRE(r.ok());
  REQUIRE(r->rows() == 1);
  return r->int64(0, 0);
}

}  // namespace

TEST_CASE("store/pg: both engines have every migration, numbered alike") {
  for (int i = 0; i < schema_version(); ++i) CHECK(pg_migration_sql(i) != nullptr);
}

TEST_CASE("store/pg: the schema version is kept in reportd_meta; a newer one is refused") {
  auto fresh = fresh_postgres();
  if (!fresh) return;
  auto s = second_session();
  CHECK(meta(*s, "schema_version") == schema_version());
  std::int64_t conn = add_conn(*s, "acme");
  const Bytes sealed{0, 1, 0xff, 0};  // bytea keeps NULs and high bytes
  REQUIRE(s->update_connection_secrets(conn, sealed, {}, "k2").ok());
  CHECK(s->get_connection(conn)->sealed_refresh_token == sealed);
  // Opening again migrates nothing and keeps the rows.
  auto again = second_session();
  CHECK(again->list_connections()->size() == 1);
  REQUIRE(s->conn().exec("UPDATE reportd_meta SET schema_version = 99", "test").ok());
  auto newer = PgStore::open(pg_test_url(), {});
  REQUIRE_FALSE(newer.ok());
  CHECK(newer.status().kind() == ErrorKind::kInvalidArgument);
  CHECK(newer.status().message().find("version 99") != std::string::npos);
}

TEST_CASE("store/pg: data_version moves when another session changes schedules, not for own") {
  auto daemon = fresh_postgres();
  if (!daemon) return;
  auto cli = second_session();
  std::int64_t v0 = *daemon->data_version();
  std::int64_t conn = add_conn(*daemon, "acme");
  std::int64_t id = *daemon->add_schedule(make_schedule(conn, "own"));
  REQUIRE(daemon->set_schedule_paused(id, true, "x").ok());
  CHECK(*daemon->data_version() == v0);  // its own writes
  // Runs, the ledger and heartbeats do not count either.
  REQUIRE(cli->claim_occurrence(id, 100, RunState::kPending, "", 1).ok());
  REQUIRE(cli->put_daemon_state({1, 1, 1, "v", "running"}).ok());
  CHECK(*daemon->data_version() == v0);

  REQUIRE(cli->add_schedule(make_schedule(conn, "from-cli")).ok());
  std::int64_t v1 = *daemon->data_version();
  CHECK(v1 != v0);
  // A change the other session rolls back does not move it.
  Status st = cli->transaction([&](Store& t) -> Status {
    if (Status r = t.remove_schedule("own"); !r.ok()) return r;
    return Status::error(ErrorKind::kInvalidArgument, "changed my mind");
  });
  CHECK_FALSE(st.ok());
  CHECK(*daemon->data_version() == v1);
  REQUIRE(cli->remove_connection("acme").ok());
  CHECK(*daemon->data_version() != v1);
  CHECK(*cli->data_version() == *cli->data_version());
}

TEST_CASE("store/pg: of two sessions claiming one occurrence, one wins") {
  auto a = fresh_postgres();
  if (!a) return;
  auto b = second_session();
  std::int64_t id = *a->add_schedule(make_schedule(add_conn(*a, "acme"), "x"));
  auto first = a->claim_occurrence(id, 1'700'000'000, RunState::kPending, "", 1);
  auto second = b->claim_occurrence(id, 1'700'000'000, RunState::kPending, "", 2);
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(first->has_value());
  CHECK_FALSE(second->has_value());
}

TEST_CASE("store/pg: a refused insert inside a transaction leaves it usable, as in SQLite") {
  auto s = fresh_postgres();
  if (!s) return;
  std::int64_t conn = add_conn(*s, "acme");
  REQUIRE(s->add_schedule(make_schedule(conn, "taken")).ok());
  Status st = s->transaction([&](Store& t) -> Status {
    auto dup = t.add_schedule(make_schedule(conn, "taken"));
    CHECK(dup.status().kind() == ErrorKind::kAlreadyExists);
    return done(t.add_schedule(make_schedule(conn, "second")));
  });
  CHECK_MESSAGE(st.ok(), st.message());
  CHECK(s->find_schedule("second").ok());
}

TEST_CASE("store/pg: an error names the statement, never a value") {
  auto s = fresh_postgres();
  if (!s) return;
  std::int64_t conn = add_conn(*s, "acme");
  REQUIRE(s->add_schedule(make_schedule(conn, "a-secret-name-7f3")).ok());
  Schedule other = make_schedule(conn, "b");
  other.id = *s->add_schedule(other);
  other.name = "a-secret-name-7f3";
  Status st = s->update_schedule(other);
  CHECK(st.kind() == ErrorKind::kAlreadyExists);
  CHECK(st.message().find("update schedule") != std::string::npos);
  CHECK(st.message().find("7f3") == std::string::npos);
}

TEST_CASE("store: a bad [store] url says what is wrong and how to fix it") {
  auto message = [](const std::string& url) { return check_url(url).message(); };
  CHECK(check_url("postgresql://reportd@db.example.com:5432/reportd?sslmode=verify-full").ok());
  CHECK(message("mysql://x/y").find("must start with postgresql://") != std::string::npos);
  std::string pw = message("postgresql://reportd:hunter2@db.example.com/reportd");
  CHECK(pw.find("must not hold a password") != std::string::npos);
  CHECK(pw.find("password_file") != std::string::npos);
  CHECK(pw.find("hunter2") == std::string::npos);
  CHECK(message("postgresql://reportd@db.example.com").find("names no database") !=
        std::string::npos);
  CHECK(message("postgresql://db.example.com/reportd?sslmode=verify").find("sslmode \"verify\"") !=
        std::string::npos);
  CHECK(message("postgresql://db.example.com/r?sslrootcert=/nonexistent/ca.pem")
            .find("/nonexistent/ca.pem does not exist") != std::string::npos);
  CHECK(message("postgresql://db.example.com/r?bogus=1").find("cannot parse") != std::string::npos);
  CHECK(describe_url("postgresql://u@db.example.com:6432/reportd") ==
        "db.example.com:6432/reportd");
  CHECK(is_postgres_url("postgres://h/d"));
  CHECK_FALSE(is_postgres_url("/var/lib/reportd/reportd.db"));
}

}  // namespace reportd::store
