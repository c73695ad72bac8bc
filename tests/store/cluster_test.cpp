// What several nodes on one PostgreSQL share besides leases: NOTIFY of
// changes (store/pg_listener.hpp), one sync per connection and the run
// admission lock (Store::begin_sync, Store::lock_running_counts). Two
// PgStore sessions on one database are two nodes; nothing sleeps except
// the bounded wait for a notice to arrive.
#include <poll.h>

#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "engines.hpp"
#include "store/admission.hpp"
#include "store/leased_store.hpp"
#include "store/leases.hpp"
#include "store/pg_listener.hpp"
#include "store/pg_store.hpp"

namespace reportd::store {
namespace {

constexpr std::int64_t kClusterT0 = 1'700'000'000'000;

// Notices that arrive within `ms` (poll on the listener's socket).
int notices_within(PgListener& l, int ms) {
  pollfd p{l.socket(), POLLIN, 0};
  int n = 0;
  while (::poll(&p, 1, ms) > 0) {
    auto got = l.take();
    REQUIRE(got.ok());
    n += *got;
    if (n > 0) ms = 50;  // take what came with it, then stop
  }
  return n;
}

// Two nodes (leased stores) on one store, on one clock, and one org's
// schedule whose runs either node claims and admits.
struct TwoNodes {
  std::unique_ptr<Store> db;
  std::int64_t clock = kClusterT0;
  std::function<std::int64_t()> now = [this] { return clock; };
  std::unique_ptr<LeasedStore> a, b;
  std::int64_t conn = 0, sched = 0, nominal = 1000;

  explicit TwoNodes(std::unique_ptr<Store> store) : db(std::move(store)) {
    if (!db) return;
    const std::chrono::milliseconds lease{30'000};
    a = std::make_unique<LeasedStore>(*db, *leases_of(*db), LeaseOptions{"node-a", lease, now, {}});
    b = std::make_unique<LeasedStore>(*db, *leases_of(*db), LeaseOptions{"node-b", lease, now, {}});
    conn = add_conn(*db, "acme");
    sched = *db->add_schedule(make_schedule(conn, "s"));
  }
  // A new occurrence claimed by `node`, as its pipeline holds it to start.
  Run claim(LeasedStore& node) {
    Run run = *db->get_run(**node.claim_occurrence(sched, ++nominal, RunState::kPending, "", clock));
    run.state = RunState::kRunning;
    return run;
  }
  std::optional<Run> admit(LeasedStore& node, const Run& run, const AdmissionCaps& caps) {
    auto admitted = admit_run(node, run, conn, caps, now);
    REQUIRE_MESSAGE(admitted.ok(), admitted.status().message());
    return *admitted;
  }
};

}  // namespace

TEST_CASE("store/pg: a committed schedule change is NOTIFYed once; a rolled-back one never") {
  auto db = fresh_postgres();
  if (!db) return;
  auto listener = PgListener::connect(pg_test_url(), {});
  REQUIRE(listener.ok());
  const std::int64_t conn = add_conn(*db, "acme");
  CHECK(notices_within(*listener, 2000) == 1);
  // Two changes in one transaction: one notice, when it commits.
  REQUIRE(db->transaction([&](Store& s) -> Status {
                auto a = s.add_schedule(make_schedule(conn, "one"));
                if (!a.ok()) return a.status();
                CHECK(notices_within(*listener, 100) == 0);
                return done(s.add_schedule(make_schedule(conn, "two")));
              }).ok());
  CHECK(notices_within(*listener, 2000) == 1);
  CHECK(!db->transaction([&](Store& s) -> Status {
              (void)s.add_schedule(make_schedule(conn, "three"));
              return Status::error(ErrorKind::kInvalidArgument, "roll back");
            }).ok());
  CHECK(notices_within(*listener, 300) == 0);
  // Runs do not notify: nodes would otherwise reload at every claim.
  const std::int64_t sched = db->find_schedule("one")->id;
  REQUIRE(db->claim_occurrence(sched, 1000, RunState::kPending, "", kClusterT0).ok());
  CHECK(notices_within(*listener, 300) == 0);
}

TEST_CASE("store/pg: a connection is synced by one session at a time, once per round") {
  auto first = fresh_postgres();
  if (!first) return;
  auto second = PgStore::open(pg_test_url(), {});
  REQUIRE(second.ok());
  Store& a = *first;
  Store& b = **second;
  const std::int64_t acme = add_conn(a, "acme"), globex = add_conn(a, "globex");
  CHECK(*a.begin_sync(acme, kClusterT0));
  CHECK(!*b.begin_sync(acme, kClusterT0));    // A syncs it now
  CHECK(*b.begin_sync(globex, kClusterT0));   // another connection is free
  REQUIRE(a.put_sync_state(SyncState{acme, "", kClusterT0 + 10, ""}).ok());
  REQUIRE(a.end_sync(acme).ok());
  CHECK(!*b.begin_sync(acme, kClusterT0));       // A did this round's
  CHECK(*b.begin_sync(acme, kClusterT0 + 10));   // the next round's is B's
  REQUIRE(b.end_sync(acme).ok());
  REQUIRE(b.end_sync(globex).ok());
}

TEST_CASE("store/pg: runs are admitted under one lock that a second node never waits for") {
  auto first = fresh_postgres();
  if (!first) return;
  auto second = PgStore::open(pg_test_url(), {});
  REQUIRE(second.ok());
  PgStore& a = dynamic_cast<PgStore&>(*first);
  PgStore& b = **second;
  const std::int64_t acme = add_conn(a, "acme"), globex = add_conn(a, "globex");
  const std::int64_t s1 = *a.add_schedule(make_schedule(acme, "one"));
  const std::int64_t s2 = *a.add_schedule(make_schedule(globex, "two"));
  using Occurrence = std::pair<std::int64_t, std::int64_t>;
  for (auto [sched, nominal] : std::vector<Occurrence>{{s1, 1000}, {s1, 2000}, {s2, 1000}}) {
    const std::int64_t id = **a.claim_occurrence(sched, nominal, RunState::kPending, "", kClusterT0);
    REQUIRE(a.conn().exec("UPDATE runs SET state = 'running', lease_expires_ms = " +
                              std::to_string(nominal == 2000 ? kClusterT0 - 1 : kClusterT0 + 30'000) +
                              " WHERE id = " + std::to_string(id), "t").ok());
  }
  REQUIRE(a.transaction([&](Store& s) -> Status {
                auto counts = s.lock_running_counts(acme, kClusterT0);
                REQUIRE(counts.ok());
                REQUIRE(counts->has_value());
                CHECK((*counts)->org == 1);  // the expired lease's run does not count
                CHECK((*counts)->all == 2);
                // B tries while A holds the lock: nullopt at once.
                auto busy = b.lock_running_counts(globex, kClusterT0);
                REQUIRE(busy.ok());
                CHECK(!busy->has_value());
                return Status();
              }).ok());
  REQUIRE(b.transaction([&](Store& s) -> Status {
                auto counts = s.lock_running_counts(globex, kClusterT0);
                REQUIRE(counts.ok());
                CHECK(counts->has_value());
                return Status();
              }).ok());
}

TEST_CASE_TEMPLATE("store: two connections to one org count against one per-org cap", E, Sqlite,
                   Postgres) {
  auto db = fresh_store<E>();
  if (!db) return;
  Store& s = *db;
  Leases* leases = leases_of(s);
  REQUIRE(leases != nullptr);
  const std::int64_t acme = add_conn(s, "acme"), acme_again = add_conn(s, "acme-again");
  const std::int64_t globex = add_conn(s, "globex"), fresh = add_conn(s, "fresh");
  REQUIRE(s.update_connection_org(acme, "00D000000000001AAA", "https://acme.example").ok());
  REQUIRE(s.update_connection_org(acme_again, "00D000000000001AAA", "https://acme.example").ok());
  REQUIRE(s.update_connection_org(globex, "00D000000000002AAA", "https://globex.example").ok());
  // `fresh` was never authorized: its org id is unknown, so it counts alone.
  int n = 0;
  const auto start = [&](std::int64_t conn, int runs) {
    const std::int64_t sched = *s.add_schedule(make_schedule(conn, "s" + std::to_string(++n)));
    for (int i = 0; i < runs; ++i) {
      const std::int64_t id = **s.claim_occurrence(sched, 1000 + i, RunState::kPending, "", kClusterT0);
      REQUIRE(leases->acquire_lease(id, "node", kClusterT0 + 30'000).ok());
      Run run = *s.get_run(id);
      run.state = i == 0 ? RunState::kRunning : RunState::kDelivering;
      REQUIRE(s.update_run(run).ok());
    }
  };
  start(acme, 1);
  start(acme_again, 2);
  start(globex, 1);
  start(fresh, 1);
  const auto counts = [&](std::int64_t conn) {
    RunningCounts out;
    REQUIRE(s.transaction([&](Store& tx) -> Status {
                 auto c = tx.lock_running_counts(conn, kClusterT0);
                 REQUIRE(c.ok());
                 REQUIRE(c->has_value());
                 out = **c;
                 return Status();
               }).ok());
    return out;
  };
  CHECK(counts(acme).org == 3);
  CHECK(counts(acme_again).org == 3);
  CHECK(counts(globex).org == 1);
  CHECK(counts(fresh).org == 1);
  CHECK(counts(acme).all == 5);
}

TEST_CASE_TEMPLATE("store: each org's newest API usage is kept, whichever node read it", E, Sqlite,
                   Postgres) {
  auto db = fresh_store<E>();
  if (!db) return;
  Store& s = *db;
  CHECK(s.list_api_usage()->empty());
  REQUIRE(s.put_api_usage({"00D000000000001AAA", 40, 100, kClusterT0}).ok());
  REQUIRE(s.put_api_usage({"connection:7", 5, 1000, kClusterT0}).ok());
  // A newer reading replaces it; an older one (a node that read it before) does not.
  REQUIRE(s.put_api_usage({"00D000000000001AAA", 95, 100, kClusterT0 + 10}).ok());
  REQUIRE(s.put_api_usage({"00D000000000001AAA", 50, 100, kClusterT0 + 5}).ok());
  auto all = s.list_api_usage();
  REQUIRE(all.ok());
  REQUIRE(all->size() == 2);
  CHECK((*all)[0] == OrgApiUsage{"00D000000000001AAA", 95, 100, kClusterT0 + 10});
  CHECK((*all)[1] == OrgApiUsage{"connection:7", 5, 1000, kClusterT0});
}

TEST_CASE_TEMPLATE("store: two nodes together never hold more than the scratch budget", E, Sqlite,
                   Postgres) {
  TwoNodes n(fresh_store<E>());
  if (!n.db) return;
  LeasedStore& a = *n.a;
  LeasedStore& b = *n.b;
  // Room for two runs' reservations of 40 in 100, whatever the caps allow.
  const AdmissionCaps caps{10, 10, 100, 40};
  const auto admit = [&](LeasedStore& node, const Run& run) { return n.admit(node, run, caps); };
  const Run a1 = n.claim(a), b1 = n.claim(b), a2 = n.claim(a), b2 = n.claim(b);
  auto first = admit(a, a1);
  REQUIRE(first);
  CHECK(first->scratch_reserved == 40);
  CHECK(n.db->get_run(a1.id)->scratch_reserved == 40);
  REQUIRE(admit(b, b1));
  CHECK_FALSE(admit(a, a2));  // 80 held + 40 > 100, on either node
  CHECK_FALSE(admit(b, b2));
  CHECK(n.db->get_run(a2.id)->state == RunState::kPending);
  // A's run ends: its bytes are free again, for either node.
  Run done = *first;
  done.state = RunState::kSucceeded;
  REQUIRE(a.update_run(done).ok());
  REQUIRE(admit(b, b2));
  CHECK_FALSE(admit(a, a2));
  // B dies: A renews its leases, B's expire, and their bytes count no more.
  n.clock += 20'000;
  REQUIRE(a.renew().ok());
  n.clock += 10'001;
  REQUIRE(admit(a, a2));
  // Without a budget only the caps count.
  const Run a3 = n.claim(a);
  auto uncapped = n.admit(a, a3, AdmissionCaps{10, 10, 0, 40});
  REQUIRE(uncapped);
  CHECK(uncapped->scratch_reserved == 0);
}

TEST_CASE_TEMPLATE("store: runs take the scratch budget in steps, never past it on either node", E,
                   Sqlite, Postgres) {
  TwoNodes n(fresh_store<E>());
  if (!n.db) return;
  LeasedStore& a = *n.a;
  LeasedStore& b = *n.b;
  auto& db = n.db;
  const std::int64_t conn = n.conn;
  const auto claim = [&n](LeasedStore& node) { return n.claim(node); };
  // A budget of 100, first steps of 20: five runs could start at once.
  const std::int64_t budget = 100;
  const AdmissionCaps caps{10, 10, budget, 20};
  const auto admit = [&](LeasedStore& node, const Run& run) { return n.admit(node, run, caps); };
  // Grows `run` (as its pipeline holds it) to `to`; its copy follows on success.
  const auto grow = [&](LeasedStore& node, Run& run, std::int64_t to) {
    Run row = run;
    row.scratch_reserved = to;
    auto got = grow_scratch(node, row, run.scratch_reserved, conn, budget, n.clock);
    REQUIRE_MESSAGE(got.ok(), got.status().message());
    if (*got == ScratchGrant::kGranted) run = row;
    return *got;
  };
  Run a1 = *admit(a, claim(a));
  Run b1 = *admit(b, claim(b));
  CHECK(a1.scratch_reserved == 20);
  CHECK(b1.scratch_reserved == 20);
  CHECK(grow(a, a1, 60) == ScratchGrant::kGranted);  // 60 + 20
  CHECK(db->get_run(a1.id)->scratch_reserved == 60);
  CHECK(grow(b, b1, 40) == ScratchGrant::kGranted);  // 60 + 40: the whole budget
  CHECK(grow(b, b1, 60) == ScratchGrant::kNoRoom);   // 60 + 60 > 100
  CHECK(db->get_run(b1.id)->scratch_reserved == 40);
  const Run a2 = claim(a);
  CHECK_FALSE(admit(a, a2));  // no room for its first step either
  // A gives back all but its first step, without the lock; B grows.
  CHECK(grow(a, a1, 20) == ScratchGrant::kGranted);
  CHECK(db->get_run(a1.id)->scratch_reserved == 20);
  CHECK(grow(b, b1, 80) == ScratchGrant::kGranted);  // 20 + 80
  CHECK(grow(a, a1, 40) == ScratchGrant::kNoRoom);
  // A run that ends holds nothing more, whatever its row says.
  Run done = b1;
  done.state = RunState::kSucceeded;
  done.scratch_reserved = 0;
  REQUIRE(b.update_run(done).ok());
  CHECK(grow(a, a1, 100) == ScratchGrant::kGranted);
  CHECK_FALSE(admit(b, claim(b)));  // a1 holds the whole budget
  // Fenced: once B took A's run over, A writes nothing for it, grown or not.
  n.clock += 30'001;
  auto taken = b.take_over(false, 10);
  REQUIRE(taken.ok());
  bool took_a1 = false;  // and a2, claimed and never admitted
  for (const Lease& l : *taken) took_a1 = took_a1 || l.run_id == a1.id;
  CHECK(took_a1);
  for (std::int64_t to : {20, 110}) {  // given back; grown (in a larger budget)
    Run row = a1;
    row.scratch_reserved = to;
    auto lost = grow_scratch(a, row, a1.scratch_reserved, conn, 1000, n.clock);
    REQUIRE_FALSE(lost.ok());
    CHECK(is_lease_lost(lost.status()));
  }
  CHECK(db->get_run(a1.id)->scratch_reserved == 100);
}

}  // namespace reportd::store
