#include "store/sqlite_store.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "engines.hpp"
#include "store/migrations.hpp"

namespace reportd::store {
namespace {

std::unique_ptr<SqliteStore> memory_store() {
  auto s = SqliteStore::open(":memory:");
  REQUIRE(s.ok());
  return std::move(s).value();
}

TEST_CASE("store: migrations run on an empty file and the database reopens") {
  auto dir = std::filesystem::temp_directory_path() /
             ("reportd-store-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string path = (dir / "reportd.db").string();
  {
    auto s = SqliteStore::open(path);
    REQUIRE(s.ok());
    add_conn(**s, "acme");
    Stmt v((*s)->db(), "PRAGMA user_version");
    REQUIRE(v.step());
    CHECK(v.int64(0) == schema_version());
    Stmt j((*s)->db(), "PRAGMA journal_mode");
    REQUIRE(j.step());
    CHECK(j.text(0) == "wal");
  }
  auto again = SqliteStore::open(path);
  REQUIRE(again.ok());
  auto conns = (*again)->list_connections();
  REQUIRE(conns.ok());
  REQUIRE(conns->size() == 1);
  CHECK(conns->front().name == "acme");
  CHECK((*again)->integrity_check().value() == "ok");
  std::filesystem::remove_all(dir);
}

TEST_CASE("store: a database from a newer reportd is refused, not guessed at") {
  auto s = memory_store();
  REQUIRE(s->db().exec("PRAGMA user_version = 99", "bump").ok());
  Status st = migrate(s->db());
  CHECK(st.kind() == ErrorKind::kInvalidArgument);
  CHECK(st.message().find("version 99") != std::string::npos);
}

TEST_CASE_TEMPLATE("store: a connection's secrets are sealed in the same transaction as its row", E, Sqlite, Postgres) {
  auto s = fresh_store<E>();
  if (!s) return;
  std::int64_t id = add_conn(*s, "acme");
  auto c = s->get_connection(id);
  REQUIRE(c.ok());
  CHECK(c->sealed_refresh_token == Bytes{1, 2, 3, static_cast<std::uint8_t>(id)});
  CHECK(s->find_connection("acme")->id == id);
  CHECK(s->add_connection(*c, [](Connection x) -> Result<Connection> { return x; })
            .status()
            .kind() == ErrorKind::kAlreadyExists);

  // A failing seal leaves no half-made row behind.
  Connection bad;
  bad.name = "broken";
  auto r = s->add_connection(bad, [](Connection) -> Result<Connection> {
    return Status::error(ErrorKind::kCorrupt, "no key");
  });
  CHECK_FALSE(r.ok());
  CHECK(s->find_connection("broken").status().kind() == ErrorKind::kNotFound);
  CHECK(s->remove_connection("acme").ok());
  CHECK(s->remove_connection("acme").kind() == ErrorKind::kNotFound);
}

TEST_CASE_TEMPLATE("store: rewrap_all is all or nothing", E, Sqlite, Postgres) {
  auto s = fresh_store<E>();
  if (!s) return;
  add_conn(*s, "a", "1111aaaa");
  add_conn(*s, "b", "1111aaaa");
  auto failing = s->rewrap_all([](const Connection& c) -> Result<Connection> {
    if (c.name == "b") return Status::error(ErrorKind::kCorrupt, "cannot open");
    Connection n = c;
    n.key_id = "2222bbbb";
    return n;
  });
  CHECK_FALSE(failing.ok());
  CHECK(failing.status().message().find("connection b") != std::string::npos);
  CHECK(s->count_tokens_by_key()->at("1111aaaa") == 2);

  auto ok = s->rewrap_all([](const Connection& c) -> Result<Connection> {
    Connection n = c;
    n.key_id = "2222bbbb";
    return n;
  });
  REQUIRE(ok.ok());
  CHECK(*ok == 2);
  auto counts = s->count_tokens_by_key();
  CHECK(counts->size() == 1);
  CHECK(counts->at("2222bbbb") == 2);
}

TEST_CASE_TEMPLATE("store: schedules round-trip every field", E, Sqlite, Postgres) {
  auto s = fresh_store<E>();
  if (!s) return;
  std::int64_t conn = add_conn(*s, "acme");
  Schedule in = make_schedule(conn, "daily");
  in.send_when_empty = true;
  in.min_rows = 5;
  in.overlap = Overlap::kQueue;
  in.source_kind = SourceKind::kReport;
  in.send_when = SendWhen::kChanged;
  auto id = s->add_schedule(in);
  REQUIRE(id.ok());
  auto out = s->get_schedule(*id);
  REQUIRE(out.ok());
  CHECK(out->name == "daily");
  CHECK(out->tz == "Europe/Berlin");
  CHECK(out->formats == std::vector<std::string>{"csv", "xlsx"});
  CHECK(out->recipients.size() == 2);
  CHECK(out->send_when_empty);
  CHECK(out->min_rows == 5);
  CHECK(out->overlap == Overlap::kQueue);
  CHECK(out->source_kind == SourceKind::kReport);
  CHECK(out->send_when == SendWhen::kChanged);
  CHECK(s->add_schedule(in).status().kind() == ErrorKind::kAlreadyExists);
  REQUIRE(s->set_schedule_paused(*id, true, "failed 5 times").ok());
  CHECK(s->find_schedule("daily")->pause_reason == "failed 5 times");
  // Removing the connection removes its schedules.
  REQUIRE(s->remove_connection("acme").ok());
  CHECK(s->list_schedules()->empty());
}

TEST_CASE_TEMPLATE("store: an occurrence can be claimed once only", E, Sqlite, Postgres) {
  auto s = fresh_store<E>();
  if (!s) return;
  std::int64_t sched = *s->add_schedule(make_schedule(add_conn(*s, "acme"), "x"));
  auto first = s->claim_occurrence(sched, 1'700'000'000, RunState::kPending, "", 1);
  REQUIRE(first.ok());
  REQUIRE(first->has_value());
  auto second = s->claim_occurrence(sched, 1'700'000'000, RunState::kPending, "", 2);
  REQUIRE(second.ok());
  CHECK_FALSE(second->has_value());
  auto other = s->claim_occurrence(sched, 1'700'000'060, RunState::kMissed, "too late", 3);
  REQUIRE(other->has_value());

  auto unfinished = s->unfinished_runs();
  REQUIRE(unfinished->size() == 1);
  Run r = unfinished->front();
  r.state = RunState::kSucceeded;
  r.rows = 42;
  r.disposed_at_ms = 99;
  REQUIRE(s->update_run(r).ok());
  CHECK(s->unfinished_runs()->empty());
  CHECK(s->get_run(r.id)->rows == 42);
  CHECK(s->last_run(sched)->value().nominal_s == 1'700'000'060);
  RunFilter missed;
  missed.state = RunState::kMissed;
  CHECK(s->list_runs(missed)->size() == 1);
}

TEST_CASE_TEMPLATE("store: the delivery ledger keeps one row per channel and recipient", E, Sqlite, Postgres) {
  auto s = fresh_store<E>();
  if (!s) return;
  std::int64_t sched = *s->add_schedule(make_schedule(add_conn(*s, "acme"), "x"));
  std::int64_t run = s->claim_occurrence(sched, 10, RunState::kRunning, "", 1)->value();
  auto d = s->ensure_delivery(run, DeliveryChannel::kSmtp, "a@example.com", "<id@reportd>", 1);
  REQUIRE(d.ok());
  CHECK(d->state == DeliveryState::kPending);
  Delivery sent = *d;
  sent.state = DeliveryState::kSent;
  REQUIRE(s->update_delivery(sent).ok());
  // A retry asks again and sees it is already sent.
  auto again = s->ensure_delivery(run, DeliveryChannel::kSmtp, "a@example.com", "<other>", 2);
  CHECK(again->state == DeliveryState::kSent);
  CHECK(again->message_id == "<id@reportd>");
  CHECK(s->list_deliveries(run)->size() == 1);
}

TEST_CASE_TEMPLATE("store: a refused delivery round-trips with its reason", E, Sqlite, Postgres) {
  auto s = fresh_store<E>();
  if (!s) return;
  std::int64_t sched = *s->add_schedule(make_schedule(add_conn(*s, "acme"), "x"));
  std::int64_t run = s->claim_occurrence(sched, 10, RunState::kRunning, "", 1)->value();
  Delivery d = *s->ensure_delivery(run, DeliveryChannel::kSmtp, "spy@globex.com", "<id@reportd>", 1);
  d.state = DeliveryState::kRefused;
  d.error = "recipient-not-allowed: outside acme.com";
  REQUIRE(s->update_delivery(d).ok());
  auto back = s->list_deliveries(run);
  REQUIRE(back->size() == 1);
  CHECK(back->front().state == DeliveryState::kRefused);
  CHECK(to_string(back->front().state) == "refused");
  CHECK(back->front().error == d.error);
}

TEST_CASE_TEMPLATE("store: new allowed domains, the pauses they cause and the resync land together", E, Sqlite, Postgres) {
  auto s = fresh_store<E>();
  if (!s) return;
  std::int64_t conn = add_conn(*s, "acme");
  std::int64_t keep = *s->add_schedule(make_schedule(conn, "keep"));
  std::int64_t stop = *s->add_schedule(make_schedule(conn, "stop"));
  REQUIRE(s->put_sync_state({conn, "2026-03-01T10:00:00Z", 5, ""}).ok());
  std::vector<Store::Pause> pause{{stop, "recipient x@y.com refused"}};
  REQUIRE(s->set_connection_domains(conn, {"acme.com", "acme.co.uk"}, pause, true).ok());
  CHECK(s->get_connection(conn)->allowed_domains == std::vector<std::string>{"acme.com", "acme.co.uk"});
  CHECK_FALSE(s->get_schedule(keep)->paused);
  CHECK(s->get_schedule(stop)->paused);
  CHECK(s->get_schedule(stop)->pause_reason == "recipient x@y.com refused");
  CHECK(s->get_sync_state(conn)->value().modstamp.empty());
  // An unknown connection changes nothing.
  Status missing = s->set_connection_domains(conn + 99, {}, {{keep, "no"}}, true);
  CHECK(missing.kind() == ErrorKind::kNotFound);
  CHECK_FALSE(s->get_schedule(keep)->paused);
}

TEST_CASE_TEMPLATE("store: daemon state is one row, replaced on each heartbeat", E, Sqlite, Postgres) {
  auto s = fresh_store<E>();
  if (!s) return;
  CHECK_FALSE(s->get_daemon_state()->has_value());
  REQUIRE(s->put_daemon_state({10, 1, 2, "0.1.0", "running"}).ok());
  REQUIRE(s->put_daemon_state({10, 1, 3, "0.1.0", "running"}).ok());
  auto st = s->get_daemon_state();
  REQUIRE(st->has_value());
  CHECK(st->value().heartbeat_at_ms == 3);
}

}  // namespace
}  // namespace reportd::store
