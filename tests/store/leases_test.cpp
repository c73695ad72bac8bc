// Leases and fencing (store/leases.hpp, store/leased_store.hpp) on both
// engines: two LeasedStores over one database are two nodes. The clock is
// a number the test moves; nothing sleeps.
#include "store/leased_store.hpp"

#include <doctest/doctest.h>

#include "engines.hpp"
#include "store/pg_store.hpp"

namespace reportd::store {
namespace {

constexpr std::int64_t kT0 = 1'700'000'000'000;
constexpr std::chrono::milliseconds kLease{30'000};

// One node: a LeasedStore named `id` over `db` on the shared test clock.
struct TestNode {
  TestNode(Store& db, const std::string& id, const std::int64_t& clock)
      : store(db, *leases_of(db), LeaseOptions{id, kLease, [&clock] { return clock; }, {}}) {}
  LeasedStore store;
};

Run running(Store& s, std::int64_t id) {
  Run r = *s.get_run(id);
  r.state = RunState::kRunning;
  r.attempt += 1;
  return r;
}

std::int64_t epoch_of(PgStore& s, std::int64_t run_id) {
  auto r = s.conn().exec("SELECT lease_epoch FROM runs WHERE id = " + std::to_string(run_id), "t");
  REQUIRE(r.ok());
  return r->int64(0, 0);
}

std::int64_t add_daily(Store& db) {
  return *db.add_schedule(make_schedule(add_conn(db, "acme"), "daily"));
}

std::int64_t claim_run(LeasedStore& s, std::int64_t sched, std::int64_t nominal, std::int64_t now) {
  return **s.claim_occurrence(sched, nominal, RunState::kPending, "", now);
}

}  // namespace

TEST_CASE_TEMPLATE("leases: a node whose lease expired is taken over and commits nothing more", E,
                   Sqlite, Postgres) {
  auto db = fresh_store<E>();
  if (!db) return;
  std::int64_t clock = kT0;
  TestNode a(*db, "node-a", clock), b(*db, "node-b", clock);
  std::int64_t sched = *db->add_schedule(make_schedule(add_conn(*db, "acme"), "daily"));

  auto claimed = a.store.claim_occurrence(sched, 1000, RunState::kPending, "", clock);
  REQUIRE(claimed.ok());
  REQUIRE(claimed->has_value());
  const std::int64_t run = **claimed;
  CHECK(a.store.held() == 1);
  REQUIRE(a.store.update_run(running(*db, run)).ok());
  auto row = a.store.ensure_delivery(run, DeliveryChannel::kSmtp, "x@example.com", "<m>", clock);
  REQUIRE(row.ok());
  // B finds nothing to take while A's lease lasts, and cannot write A's run.
  CHECK(b.store.take_over(false, 10)->empty());
  CHECK(is_lease_lost(b.store.update_run(running(*db, run))));

  clock += kLease.count() + 1;  // A stopped renewing (killed, paused)
  auto taken = b.store.take_over(false, 10);
  REQUIRE(taken.ok());
  REQUIRE(taken->size() == 1);
  CHECK((*taken)[0].run_id == run);
  CHECK((*taken)[0].schedule_id == sched);
  CHECK((*taken)[0].epoch == 2);

  // A wakes: every run state change and ledger write is refused.
  Run late = running(*db, run);
  late.state = RunState::kSucceeded;
  CHECK(is_lease_lost(a.store.update_run(late)));
  Delivery sending = *row;
  sending.state = DeliveryState::kSending;
  CHECK(is_lease_lost(a.store.update_delivery(sending)));
  CHECK(is_lease_lost(
      a.store.ensure_delivery(run, DeliveryChannel::kSmtp, "y@example.com", "<n>", clock).status()));
  CHECK(a.store.held() == 0);
  CHECK(db->get_run(run)->state == RunState::kRunning);
  CHECK(db->list_deliveries(run)->size() == 1);
  CHECK((*db->list_deliveries(run))[0].state == DeliveryState::kPending);
  // A's renewal finds nothing to renew either.
  CHECK(a.store.renew()->empty());

  // B resumes it through the ledger and finishes it; then it holds nothing.
  REQUIRE(b.store.update_delivery(sending).ok());
  late.state = RunState::kSucceeded;
  REQUIRE(b.store.update_run(late).ok());
  CHECK(b.store.held() == 0);
  CHECK(db->get_run(run)->state == RunState::kSucceeded);
}

TEST_CASE_TEMPLATE("leases: a batch claim leases each run it creates, not the final ones", E, Sqlite,
                   Postgres) {
  auto db = fresh_store<E>();
  if (!db) return;
  std::int64_t clock = kT0;
  TestNode a(*db, "node-a", clock), b(*db, "node-b", clock);
  std::int64_t sched = *db->add_schedule(make_schedule(add_conn(*db, "acme"), "daily"));

  std::vector<OccurrenceClaim> claims = {{sched, 1000, RunState::kPending, ""},
                                         {sched, 2000, RunState::kMissed, "late"},
                                         {sched, 3000, RunState::kPending, ""}};
  auto ids = a.store.claim_occurrences(claims, clock);
  REQUIRE(ids.ok());
  REQUIRE(ids->size() == 3);
  REQUIRE(((*ids)[0] && (*ids)[1] && (*ids)[2]));
  CHECK(a.store.held() == 2);  // the missed run is final: nothing to hold
  // B can neither take them over nor write them while A's leases last.
  CHECK(b.store.take_over(false, 10)->empty());
  CHECK(is_lease_lost(b.store.update_run(running(*db, *(*ids)[0]))));
  REQUIRE(a.store.update_run(running(*db, *(*ids)[2])).ok());

  clock += kLease.count() + 1;
  auto taken = b.store.take_over(false, 10);
  REQUIRE(taken.ok());
  CHECK(taken->size() == 2);
}

TEST_CASE_TEMPLATE("leases: the heartbeat's renewal keeps a run; a mail needs a third of the lease",
                   E, Sqlite, Postgres) {
  auto db = fresh_store<E>();
  if (!db) return;
  std::int64_t clock = kT0;
  TestNode a(*db, "node-a", clock), b(*db, "node-b", clock);
  std::int64_t sched = *db->add_schedule(make_schedule(add_conn(*db, "acme"), "daily"));
  const std::int64_t run = **a.store.claim_occurrence(sched, 1000, RunState::kPending, "", clock);
  auto row = a.store.ensure_delivery(run, DeliveryChannel::kSmtp, "x@example.com", "<m>", clock);
  REQUIRE(row.ok());

  for (int beat = 0; beat < 6; ++beat) {
    clock += kLease.count() / 2;
    auto lost = a.store.renew();
    REQUIRE(lost.ok());
    CHECK(lost->empty());
    CHECK(b.store.take_over(false, 10)->empty());
  }
  // 25 s after the last renewal, 5 s are left: no mail may start on it, but
  // what is already sent may still be recorded.
  clock += kLease.count() - 5000;
  Delivery d = *row;
  d.state = DeliveryState::kSending;
  CHECK(is_lease_lost(a.store.update_delivery(d)));
  CHECK(a.store.held() == 0);  // the run stops here; B takes it over once it expired
  clock += 5001;
  CHECK(b.store.take_over(false, 10)->size() == 1);
}

TEST_CASE_TEMPLATE("leases: nodes are listed with the runs they hold; silent ones are forgotten", E,
                   Sqlite, Postgres) {
  auto db = fresh_store<E>();
  if (!db) return;
  std::int64_t clock = kT0;
  TestNode a(*db, "node-a", clock);
  Leases& leases = *leases_of(*db);
  std::int64_t sched = *db->add_schedule(make_schedule(add_conn(*db, "acme"), "daily"));
  REQUIRE(leases.put_node(Node{"node-a", "h1", 11, kT0, kT0, "running", 0}, 0).ok());
  REQUIRE(leases.put_node(Node{"node-old", "h2", 12, 1, 2, "stopped", 0}, 0).ok());
  REQUIRE(a.store.claim_occurrence(sched, 1000, RunState::kPending, "", clock).ok());
  REQUIRE(a.store.claim_occurrence(sched, 2000, RunState::kPending, "", clock).ok());
  REQUIRE(a.store.claim_occurrence(sched, 3000, RunState::kMissed, "late", clock).ok());
  auto nodes = leases.list_nodes();
  REQUIRE(nodes.ok());
  REQUIRE(nodes->size() == 2);
  CHECK((*nodes)[0].id == "node-old");
  CHECK((*nodes)[1].id == "node-a");
  CHECK((*nodes)[1].runs_held == 2);
  CHECK((*nodes)[1].host == "h1");
  REQUIRE(leases.put_node(Node{"node-a", "h1", 11, kT0, kT0 + 5, "running", 0}, kT0).ok());
  CHECK(leases.list_nodes()->size() == 1);
}

TEST_CASE_TEMPLATE("leases: next_expiry is when another node's run can be taken over", E, Sqlite,
                   Postgres) {
  auto db = fresh_store<E>();
  if (!db) return;
  std::int64_t clock = kT0;
  TestNode a(*db, "node-a", clock), b(*db, "node-b", clock);
  const std::int64_t sched = add_daily(*db);
  CHECK(*b.store.next_expiry() == Expiries{});  // nothing to take over, ever
  const std::int64_t first = claim_run(a.store, sched, 1000, clock);
  clock += 1000;
  const std::int64_t second = claim_run(a.store, sched, 2000, clock);
  REQUIRE(a.store.claim_occurrence(sched, 3000, RunState::kMissed, "late", clock).ok());
  // B learns the earliest of A's leases; A itself has none to take.
  CHECK(*b.store.next_expiry() == Expiries{{}, kT0 + kLease.count()});
  CHECK(*a.store.next_expiry() == Expiries{});
  // Exactly then (the expiry passed by a millisecond) B's take-over finds it.
  clock = kT0 + kLease.count();
  CHECK(b.store.take_over(false, 10)->empty());
  clock += 1;
  auto taken = b.store.take_over(false, 10);
  REQUIRE(taken.ok());
  REQUIRE(taken->size() == 1);
  CHECK((*taken)[0].run_id == first);
  // Then the other one; B's own run (taken) no longer counts for B, but for
  // A once its execution of it ended (never while it still executes it).
  CHECK(*b.store.next_expiry() == Expiries{{}, kT0 + 1000 + kLease.count()});
  CHECK(*a.store.next_expiry() == Expiries{});
  REQUIRE(a.store.release(first).ok());
  CHECK(*a.store.next_expiry() == Expiries{{}, clock + kLease.count()});
  // A run A released with no final row expires now: B may take it at once.
  REQUIRE(a.store.release(second).ok());
  CHECK(*b.store.next_expiry() == Expiries{{}, clock});
  // A millisecond later it is overdue: a take-over would find it (unless
  // another node's held its row just then), told apart from one to come.
  clock += 1;
  CHECK(*b.store.next_expiry() == Expiries{clock - 1, {}});
  CHECK(*a.store.next_expiry() == Expiries{{}, kT0 + kLease.count() + 1 + kLease.count()});
}

TEST_CASE("leases: SQLite's one node takes over every unfinished run when it starts") {
  auto db = fresh_sqlite();
  std::int64_t clock = kT0;
  TestNode before(*db, "before", clock), after(*db, "after", clock);
  std::int64_t sched = *db->add_schedule(make_schedule(add_conn(*db, "acme"), "daily"));
  REQUIRE(before.store.claim_occurrence(sched, 1000, RunState::kPending, "", clock).ok());
  REQUIRE(before.store.claim_occurrence(sched, 2000, RunState::kSucceeded, "", clock).ok());
  CHECK(after.store.take_over(false, 10)->empty());  // the lease is still fresh
  auto all = after.store.take_over(true, 10);
  REQUIRE(all.ok());
  CHECK(all->size() == 1);
  CHECK(after.store.held() == 1);
  CHECK(after.store.take_over(true, 10)->empty());  // not its own runs again
}

TEST_CASE("store/pg: two nodes on one database: a take-over skips a run being written, never waits") {
  auto first = fresh_postgres();
  if (!first) return;
  auto second = PgStore::open(pg_test_url(), {});
  REQUIRE(second.ok());
  PgStore& db_a = dynamic_cast<PgStore&>(*first);
  PgStore& db_b = **second;
  // A wait would show as this error instead of a hang.
  REQUIRE(db_b.conn().exec("SET statement_timeout = 3000", "t").ok());
  std::int64_t clock = kT0;
  TestNode a(db_a, "node-a", clock), b(db_b, "node-b", clock);
  std::int64_t sched = *db_a.add_schedule(make_schedule(add_conn(db_a, "acme"), "daily"));
  const std::int64_t run = **a.store.claim_occurrence(sched, 1000, RunState::kPending, "", clock);

  // A is inside a fenced write (its row lock held) when B looks: B skips
  // the row at once, even though the lease has since expired.
  Status inside = a.store.transaction([&](Store& s) -> Status {
    if (Status st = s.update_run(running(db_a, run)); !st.ok()) return st;
    clock += kLease.count() + 1;
    auto taken = b.store.take_over(false, 10);
    REQUIRE_MESSAGE(taken.ok(), taken.status().message());
    CHECK(taken->empty());
    return Status();
  });
  REQUIRE(inside.ok());
  CHECK(epoch_of(db_a, run) == 1);
  // Once A's transaction ended, B takes the run over; A's writes are refused.
  auto taken = b.store.take_over(false, 10);
  REQUIRE(taken.ok());
  REQUIRE(taken->size() == 1);
  CHECK(epoch_of(db_b, run) == 2);
  Run done = running(db_a, run);
  done.state = RunState::kSucceeded;

  CHECK(is_lease_lost(a.store.update_run(done)));
  CHECK(db_b.get_run(run)->state == RunState::kRunning);
  REQUIRE(b.store.update_run(done).ok());
}

// The stuck run of #15: a node slowed past its lease is fenced out of its
// run (its execution stops at the next write), and its own heartbeat then
// took the run back at epoch + 1 while that execution was still going: the
// execution's writes passed the fence again, and when it ended with no
// final row, the heartbeat renewed the lease of a run nobody executed.
TEST_CASE_TEMPLATE("leases: a node never takes back a run it still executes; released, it is taken over",
                   E, Sqlite, Postgres) {
  auto db = fresh_store<E>();
  if (!db) return;
  std::int64_t clock = kT0;
  TestNode a(*db, "node-a", clock);
  const std::int64_t run = claim_run(a.store, add_daily(*db), 1000, clock);
  REQUIRE(a.store.update_run(running(*db, run)).ok());

  clock += kLease.count() + 1;  // A slowed past its lease; nobody took it
  Run delivering = running(*db, run);
  delivering.state = RunState::kDelivering;
  CHECK(is_lease_lost(a.store.update_run(delivering)));  // the execution stops here...
  CHECK(a.store.held() == 0);
  CHECK(a.store.executing() == 1);  // ... but has not ended yet
  // A's heartbeat: the run's lease expired, yet A never takes it back while
  // its execution goes, and that execution stays fenced out.
  CHECK(a.store.renew()->empty());
  CHECK(a.store.take_over(false, 10)->empty());
  CHECK(is_lease_lost(a.store.update_run(delivering)));

  // The execution ended with no final row: released, the run is taken over
  // at the next heartbeat, here by A itself, and executed again.
  REQUIRE(a.store.release(run).ok());
  CHECK(a.store.executing() == 0);
  clock += 1;
  auto taken = a.store.take_over(false, 10);
  REQUIRE(taken.ok());
  REQUIRE(taken->size() == 1);
  CHECK((*taken)[0].epoch == 2);
  CHECK(a.store.executing() == 1);
  Run done = running(*db, run);
  done.state = RunState::kSucceeded;
  REQUIRE(a.store.update_run(done).ok());
  REQUIRE(a.store.release(run).ok());
  CHECK(a.store.executing() == 0);
  CHECK(db->get_run(run)->state == RunState::kSucceeded);
}

TEST_CASE_TEMPLATE("leases: an execution that ended with no final row is not renewed; another node resumes it",
                   E, Sqlite, Postgres) {
  auto db = fresh_store<E>();
  if (!db) return;
  std::int64_t clock = kT0;
  TestNode a(*db, "node-a", clock), b(*db, "node-b", clock);
  const std::int64_t sched = add_daily(*db);
  const std::int64_t run = claim_run(a.store, sched, 1000, clock);
  const std::int64_t other = claim_run(a.store, sched, 2000, clock);
  REQUIRE(a.store.update_run(running(*db, run)).ok());
  // The execution ends without its final row (the store refused it, the
  // database was unreachable): released, A renews it no more.
  REQUIRE(a.store.release(run).ok());
  clock += 1;
  CHECK(a.store.renew()->empty());
  auto taken = b.store.take_over(false, 10);
  REQUIRE(taken.ok());
  REQUIRE(taken->size() == 1);  // at once, not a lease time later; A's other run stays A's
  CHECK((*taken)[0].run_id == run);
  CHECK(a.store.held() == 1);
  // A's other run: A stops renewing (paused), B takes it over; A's release
  // of it afterwards leaves B's lease alone.
  clock += kLease.count() + 1;
  REQUIRE(b.store.renew().ok());
  auto second = b.store.take_over(false, 10);
  REQUIRE(second.ok());
  REQUIRE(second->size() == 1);
  CHECK((*second)[0].run_id == other);
  REQUIRE(a.store.release(other).ok());
  clock += 1;
  CHECK(a.store.take_over(false, 10)->empty());
  REQUIRE(b.store.update_run(running(*db, other)).ok());
  REQUIRE(b.store.update_run(running(*db, run)).ok());
}

}  // namespace reportd::store

namespace reportd::store {

TEST_CASE("leases: may_send follows the monotonic clock, so a node that slept does not send") {
  auto db = fresh_sqlite();
  std::int64_t clock = kT0, steady = 0;
  LeasedStore a(*db, *leases_of(*db),
                LeaseOptions{"node-a", kLease, [&] { return clock; }, [&] { return steady; }});
  std::int64_t sched = *db->add_schedule(make_schedule(add_conn(*db, "acme"), "daily"));
  const std::int64_t run = **a.claim_occurrence(sched, 1000, RunState::kPending, "", clock);
  CHECK(a.may_send(run));
  CHECK_FALSE(a.may_send(run + 1));
  steady += kLease.count() / 2;  // a heartbeat renews: safe again from here
  REQUIRE(a.renew().ok());
  steady += kLease.count() / 2;
  CHECK(a.may_send(run));
  steady += kLease.count() / 2;  // stopped past two thirds of the lease since the renewal
  CHECK_FALSE(a.may_send(run));
  // Given up: no longer renewed, so another node takes it over on expiry.
  CHECK(a.held() == 0);
  CHECK(is_lease_lost(a.update_run(*db->get_run(run))));
}

}  // namespace reportd::store
