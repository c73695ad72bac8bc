// daemon::claim_share(): a node's place among the live nodes of its store,
// which decides the share of due occurrences it claims first.
#include <doctest/doctest.h>

#include "daemon/cluster.hpp"

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

}  // namespace reportd::daemon
