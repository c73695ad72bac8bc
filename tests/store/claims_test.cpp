// Store::claim_occurrences and Store::list_active_schedules, the batch forms the
// scheduler uses, on both engines.
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <thread>

#include "engines.hpp"
#include "store/pg_store.hpp"
#include "store/sqlite_store.hpp"

namespace reportd::store {
namespace {

std::int64_t nominal_of(Store& s, std::int64_t run_id) { return s.get_run(run_id)->nominal_s; }

}  // namespace

TEST_CASE_TEMPLATE("store: occurrences due together are claimed in one call, each as claim_occurrence would", E, Sqlite, Postgres) {
  auto s = fresh_store<E>();
  if (!s) return;
  const std::int64_t acme = add_conn(*s, "acme");
  const std::int64_t globex = add_conn(*s, "globex");
  const std::int64_t a = *s->add_schedule(make_schedule(acme, "a"));
  const std::int64_t b = *s->add_schedule(make_schedule(globex, "b"));
  const std::int64_t gone = *s->add_schedule(make_schedule(globex, "gone"));
  REQUIRE(s->remove_schedule("gone").ok());
  // Claimed before (a restart, or another process).
  REQUIRE(s->claim_occurrence(a, 100, RunState::kSucceeded, "", 1)->has_value());

  const std::vector<OccurrenceClaim> claims = {
      {a, 100, RunState::kPending, ""},               // already claimed
      {a, 200, RunState::kPending, ""},               // new
      {b, 150, RunState::kMissed, "too late"},        // new, final at once
      {gone, 200, RunState::kPending, ""},            // schedule removed meanwhile
      {b, 150, RunState::kPending, ""},               // the same occurrence again
  };
  auto out = s->claim_occurrences(claims, 7);
  REQUIRE_MESSAGE(out.ok(), out.status().message());
  REQUIRE(out->size() == 5);
  CHECK_FALSE((*out)[0].has_value());
  REQUIRE((*out)[1].has_value());
  REQUIRE((*out)[2].has_value());
  CHECK_FALSE((*out)[3].has_value());
  CHECK_FALSE((*out)[4].has_value());
  CHECK(nominal_of(*s, *(*out)[1]) == 200);
  const Run missed = *s->get_run(*(*out)[2]);
  CHECK(missed.schedule_id == b);
  CHECK(missed.state == RunState::kMissed);
  CHECK(missed.reason == "too late");
  CHECK(missed.claimed_at_ms == 7);
  CHECK(s->unfinished_runs()->size() == 1);  // a at 200

  // An empty batch claims nothing and fails nothing.
  auto none = s->claim_occurrences({}, 8);
  REQUIRE(none.ok());
  CHECK(none->empty());
}

TEST_CASE_TEMPLATE("store: list_active_schedules gives each unpaused schedule's timing and latest claim in one query", E, Sqlite, Postgres) {
  auto s = fresh_store<E>();
  if (!s) return;
  const std::int64_t acme = add_conn(*s, "acme");
  const std::int64_t globex = add_conn(*s, "globex");
  Schedule full = make_schedule(acme, "a");
  full.catchup_seconds = 600;
  full.overlap = Overlap::kQueue;
  full.splay_seconds = 30;
  full.min_interval_seconds = 900;
  full.created_at_ms = 1234;
  const std::int64_t a = *s->add_schedule(full);
  const std::int64_t b = *s->add_schedule(make_schedule(globex, "b"));
  const std::int64_t never = *s->add_schedule(make_schedule(globex, "never"));
  const std::int64_t paused = *s->add_schedule(make_schedule(globex, "paused"));
  REQUIRE(s->set_schedule_paused(paused, true, "by hand").ok());
  // Claimed out of order: the latest nominal instant wins, not the latest claim.
  REQUIRE(s->claim_occurrence(a, 300, RunState::kSucceeded, "", 1)->has_value());
  REQUIRE(s->claim_occurrence(a, 100, RunState::kMissed, "", 2)->has_value());
  REQUIRE(s->claim_occurrence(b, 50, RunState::kFailed, "", 3)->has_value());
  REQUIRE(s->claim_occurrence(paused, 70, RunState::kFailed, "", 3)->has_value());

  auto active = s->list_active_schedules();
  REQUIRE_MESSAGE(active.ok(), active.status().message());
  std::map<std::int64_t, ActiveSchedule> by_id;
  for (ActiveSchedule& x : *active) by_id.emplace(x.id, std::move(x));
  REQUIRE(by_id.size() == 3);
  CHECK_FALSE(by_id.contains(paused));
  const Schedule got = by_id.at(a).schedule();
  CHECK(got.name == "a");
  CHECK(got.connection_id == acme);
  CHECK(got.cron == full.cron);
  CHECK(got.tz == full.tz);
  CHECK(got.catchup_seconds == 600);
  CHECK(got.overlap == Overlap::kQueue);
  CHECK(got.splay_seconds == 30);
  CHECK(got.min_interval_seconds == 900);
  CHECK(got.created_at_ms == 1234);
  CHECK(got.source.empty());  // not read: the scheduler does not need it
  CHECK(got.recipients.empty());
  CHECK(by_id.at(a).last_nominal_s == 300);
  CHECK(by_id.at(a).last_nominal_s == s->last_run(a)->value().nominal_s);
  CHECK(by_id.at(b).last_nominal_s == 50);
  CHECK(by_id.at(b).connection_id == globex);
  CHECK_FALSE(by_id.at(never).last_nominal_s.has_value());
}

TEST_CASE("store: a batch of claims that fails records none of them") {
  auto opened = SqliteStore::open(":memory:");
  REQUIRE(opened.ok());
  auto& s = **opened;
  const std::int64_t a = *s.add_schedule(make_schedule(add_conn(s, "acme"), "a"));
  // The second insert fails as on a full disk, after the first succeeded.
  REQUIRE(s.db()
              .exec("CREATE TEMP TRIGGER fail_200 BEFORE INSERT ON runs WHEN NEW.nominal_s = 200 "
                    "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END",
                    "trigger")
              .ok());
  auto out = s.claim_occurrences(
      {{a, 100, RunState::kPending, ""}, {a, 200, RunState::kPending, ""}}, 1);
  REQUIRE_FALSE(out.ok());
  CHECK(out.status().message().find("claim occurrences") != std::string::npos);
  REQUIRE(s.db().exec("DROP TRIGGER fail_200", "drop trigger").ok());
  CHECK(s.list_active_schedules()->front().last_nominal_s == std::nullopt);
  // The store is usable afterwards: the transaction did not stay open.
  auto again = s.claim_occurrences({{a, 100, RunState::kPending, ""}}, 2);
  REQUIRE(again.ok());
  CHECK((*again)[0].has_value());
}

}  // namespace reportd::store

namespace reportd::store {

TEST_CASE_TEMPLATE("store: a burst schedule and its ledger keep each recipient's rows and user", E, Sqlite, Postgres) {
  auto s = fresh_store<E>();
  if (!s) return;
  Schedule sched = make_schedule(add_conn(*s, "acme"), "team");
  sched.burst = true;
  const std::int64_t id = *s->add_schedule(sched);
  CHECK(s->get_schedule(id)->burst);
  sched = *s->get_schedule(id);
  sched.burst = false;
  REQUIRE(s->update_schedule(sched).ok());
  CHECK_FALSE(s->get_schedule(id)->burst);

  const std::int64_t run = **s->claim_occurrence(id, 100, RunState::kRunning, "", 1);
  auto d = s->ensure_delivery(run, DeliveryChannel::kSmtp, "ann@example.com", "", 1);
  REQUIRE(d.ok());
  CHECK(d->rows == -1);  // not known: every delivery of a schedule that does not burst
  CHECK(d->ran_as.empty());
  d->rows = 31;
  d->ran_as = "ann@acme.example";
  d->state = DeliveryState::kSent;
  REQUIRE(s->update_delivery(*d).ok());
  auto again = s->ensure_delivery(run, DeliveryChannel::kSmtp, "ann@example.com", "", 2);
  REQUIRE(again.ok());
  CHECK((again->rows == 31 && again->ran_as == "ann@acme.example"));
  CHECK(s->list_deliveries(run)->at(0).rows == 31);
}

// Two nodes claim the same occurrences due together, one transaction each,
// listed in different orders. A third session holds the middle one's
// insert until both nodes wait on it: in the orders given, each node would
// then hold a key the other inserts next (a deadlock PostgreSQL breaks
// after deadlock_timeout, a second, by failing one claim, with both nodes
// stuck meanwhile). In one order, the second node waits for the first's
// commit and finds every occurrence taken.
TEST_CASE("store/pg: two nodes claiming the same occurrences at once never deadlock") {
  auto first = fresh_postgres();
  if (!first) return;
  auto second = PgStore::open(pg_test_url(), {});
  auto third = PgStore::open(pg_test_url(), {});
  auto watcher = PgStore::open(pg_test_url(), {});
  REQUIRE((second.ok() && third.ok() && watcher.ok()));
  Store& a = *first;
  const std::int64_t acme = add_conn(a, "acme");
  const std::int64_t s1 = *a.add_schedule(make_schedule(acme, "s1"));
  const std::int64_t gate = *a.add_schedule(make_schedule(acme, "gate"));
  const std::int64_t s2 = *a.add_schedule(make_schedule(acme, "s2"));
  const auto claim = [](std::int64_t schedule) {
    return OccurrenceClaim{schedule, 1000, RunState::kPending, ""};
  };
  const auto waiting = [&watcher] {
    auto r = (*watcher)->conn().exec(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'", "t");
    return r.ok() ? r->int64(0, 0) : -1;
  };
  const auto wait_for = [&waiting](std::int64_t n) {
    for (int i = 0; i < 500 && waiting() < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return waiting() >= n;
  };
  std::optional<Result<std::vector<std::optional<std::int64_t>>>> by_a, by_b;
  std::thread node_a, node_b;
  Status held = (*third)->transaction([&](Store& x) -> Status {
    REQUIRE(x.claim_occurrence(gate, 1000, RunState::kPending, "", 1)->has_value());
    node_a = std::thread([&] {
      by_a.emplace(a.claim_occurrences({claim(s1), claim(gate), claim(s2)}, 2));
    });
    CHECK(wait_for(1));
    node_b = std::thread([&] {
      by_b.emplace((*second)->claim_occurrences({claim(s2), claim(gate), claim(s1)}, 3));
    });
    CHECK(wait_for(2));
    return Status::error(ErrorKind::kPermanent, "roll back: the gate is free");
  });
  CHECK_FALSE(held.ok());
  node_a.join();
  node_b.join();
  REQUIRE((by_a && by_b));
  REQUIRE_MESSAGE(by_a->ok(), by_a->status().message());
  REQUIRE_MESSAGE(by_b->ok(), by_b->status().message());
  // The first node claimed all three; the second found them taken.
  CHECK((**by_a)[0].has_value());
  CHECK((**by_a)[1].has_value());
  CHECK((**by_a)[2].has_value());
  CHECK(**by_b == std::vector<std::optional<std::int64_t>>(3));
}

}  // namespace reportd::store
