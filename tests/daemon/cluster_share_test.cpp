// daemon::claim_share(): a node's place among the live nodes of its store,
// which decides the share of due occurrences it claims first; and
// take_over_at(): when the node next takes over other nodes' runs.
#include <doctest/doctest.h>

#include "daemon/cluster.hpp"
#include "store/sqlite_store.hpp"

namespace reportd::daemon {
namespace {

store::Node node(const char* id, const char* status, std::int64_t heartbeat_at_ms) {
  store::Node n;
  n.id = id;
  n.status = status;
  n.heartbeat_at_ms = heartbeat_at_ms;
  return n;
}

}  // namespace

TEST_CASE("cluster: a node's share counts the running nodes heard from lately, itself always") {
  const std::vector<store::Node> nodes = {
      node("c", "running", 1000), node("a", "running", 900),  // live
      node("b", "running", 400),                              // silent: dead or paused
      node("d", "stopped", 1000),                             // stopped cleanly
  };
  CHECK(claim_share(nodes, "c", 500) == jobs::ClaimShare{1, 2});
  CHECK(claim_share(nodes, "a", 500) == jobs::ClaimShare{0, 2});
  // A node that has not beaten yet, or whose row looks stale, still counts itself.
  CHECK(claim_share(nodes, "b", 500) == jobs::ClaimShare{1, 3});
  CHECK(claim_share({}, "z", 500) == jobs::ClaimShare{0, 1});
  CHECK(claim_share(nodes, "c", 0) == jobs::ClaimShare{2, 3});
}

TEST_CASE("cluster: the API usage one node read reaches the other through the store") {
  auto opened = store::SqliteStore::open(":memory:");
  REQUIRE(opened.ok());
  store::Store& db = **opened;
  const auto add = [&db](const char* name) {
    store::Connection c;
    c.name = name;
    c.login_url = "https://login.example.com";
    c.client_id = "cid";
    auto id = db.add_connection(c, [](store::Connection x) -> Result<store::Connection> {
      x.sealed_refresh_token = {1};
      x.key_id = "k";
      return x;
    });
    REQUIRE(id.ok());
    return *id;
  };
  const std::int64_t acme = add("acme"), acme_again = add("acme-again"), fresh = add("fresh");
  for (std::int64_t id : {acme, acme_again}) {
    REQUIRE(db.update_connection_org(id, "00D000000000001AAA", "https://acme.example").ok());
  }
  // Node A read 95 of 100 on acme and 3 of 50 on the unpinned connection.
  ConnectionOrgs node_a, node_b;
  auto a = exchange_api_usage(db, {{acme, {95, 100}}, {fresh, {3, 50}}}, 1000, node_a);
  REQUIRE(a.ok());
  // Node B read nothing: it learns A's, on each connection to that org.
  auto b = exchange_api_usage(db, {}, 2000, node_b);
  REQUIRE(b.ok());
  REQUIRE(b->size() == 3);
  CHECK(b->at(acme_again).used == 95);
  CHECK(b->at(acme).limit == 100);
  CHECK(b->at(fresh).used == 3);
  // A later reading from B (the org's usage moved) is every node's.
  REQUIRE(exchange_api_usage(db, {{acme_again, {97, 100}}}, 3000, node_b).ok());
  CHECK(exchange_api_usage(db, {}, 4000, node_a)->at(acme).used == 97);
  // The connections are read again only when they changed: a connection
  // added since is unknown to A until then, and known after.
  const std::int64_t later = add("later");
  CHECK_FALSE(exchange_api_usage(db, {}, 5000, node_a)->contains(later));
  node_a.stale = true;
  REQUIRE(exchange_api_usage(db, {{later, {1, 10}}}, 6000, node_b).ok());  // B read it: unknown to B
  CHECK(exchange_api_usage(db, {}, 7000, node_a)->at(later).used == 1);
  // The fresh connection is pinned by A's own client: its readings, read
  // again for it, now count for the org.
  REQUIRE(db.update_connection_org(fresh, "00D000000000001AAA", "https://acme.example").ok());
  REQUIRE(exchange_api_usage(db, {{fresh, {99, 100}}}, 8000, node_a).ok());
  CHECK(exchange_api_usage(db, {}, 9000, node_b)->at(fresh).used == 3);  // B not told yet
  node_b.stale = true;
  CHECK(exchange_api_usage(db, {}, 9500, node_b)->at(acme).used == 99);
}

TEST_CASE("cluster: a lease expiring just after a take-over is taken over when it expires") {
  using std::chrono::milliseconds;
  const auto now = std::chrono::steady_clock::time_point() + std::chrono::hours(1);
  const std::int64_t wall = 1'700'000'000'000;
  const milliseconds floor(1000);
  // Traced in bench/cluster-kill.sh: a node took over one run (its timer)
  // at `now`; another dead node's leases expire 80 ms later. They are taken
  // over 85 ms from now, not a second after the last take-over.
  const auto last = now;
  CHECK(take_over_at({{}, wall + 80}, wall, now, last, floor, 5) == now + milliseconds(85));
  // One found expired and not taken (another node is taking it over): a
  // second after the last take-over, not at once...
  CHECK(take_over_at({wall - 10, {}}, wall, now, last, floor, 5) == now + floor);
  CHECK(take_over_at({wall - 10, {}}, wall, now, last - milliseconds(3000), floor, 5) == now);
  // ... unless a lease to come expires first; and never later than that one.
  CHECK(take_over_at({wall - 10, wall + 80}, wall, now, last, floor, 5) == now + milliseconds(85));
  CHECK(take_over_at({wall - 10, wall + 5000}, wall, now, last, floor, 5) == now + floor);
  // Expired by this node's clock though not when read: at once.
  CHECK(take_over_at({{}, wall - 50}, wall, now, last, floor, 5) == now);
  CHECK_FALSE(take_over_at({}, wall, now, last, floor, 5).has_value());
}

}  // namespace reportd::daemon
