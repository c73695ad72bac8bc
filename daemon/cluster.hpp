#pragma once
// Cluster: this `reportd serve` process as one node of its store (DESIGN.md
// §4.10, store/leases.hpp). Owns the node's identity (a random id per
// process start, host, pid) and, when the store keeps leases, the
// LeasedStore that every run writes through. beat() is the lease half of
// the heartbeat: it records the node, renews the leases it holds, takes
// over the runs of nodes that stopped renewing, and reads every node for
// `reportd status` and /metrics. beat() runs on the store thread (its
// argument is the store thread's Store); the rest on the event loop.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "jobs/scheduler_core.hpp"
#include "salesforce_client/api.hpp"
#include "store/leased_store.hpp"

namespace reportd::daemon {

// What one beat() found.
struct ClusterBeat {
  std::vector<jobs::Launch> taken;  // runs taken over (or recovered at start), to launch
  std::vector<std::int64_t> lost;   // runs whose lease another node took while this one slept
  std::vector<store::Node> nodes;   // every node of the store
  std::size_t held = 0;             // leases this node holds after the beat
  jobs::ClaimShare share;           // this node's share of due occurrences (claim_share())
  // When another node's lease expires next (store::LeasedStore::next_expiry):
  // the runtime takes it over then (take_over(), take_over_at()), not at a
  // later beat.
  store::Expiries expiries;
};

// When the runtime next takes over (steady clock), for `e` read at the
// node's wall-clock time `wall_ms`, steady time `now`, the last take-over
// having been at `last`: `margin_ms` after the upcoming expiry (by this
// node's clock); an overdue one (found expired and not taken: another node
// is taking it over just then) `floor` after the last take-over, not at
// once, unless the upcoming one comes first. An upcoming expiry never
// waits for the floor: a lease expiring just after a take-over is taken
// over when it expires. nullopt: none known. Pure.
std::optional<std::chrono::steady_clock::time_point> take_over_at(
    const store::Expiries& e, std::int64_t wall_ms, std::chrono::steady_clock::time_point now,
    std::chrono::steady_clock::time_point last, std::chrono::milliseconds floor,
    std::int64_t margin_ms);

// This node's share of the due occurrences (jobs::ClaimShare): its place,
// by id, among the nodes `running` with a heartbeat after `live_after_ms`,
// itself included whatever its row says. Pure.
jobs::ClaimShare claim_share(const std::vector<store::Node>& nodes, const std::string& self,
                             std::int64_t live_after_ms);

class Cluster {
 public:
  // `store` is the opened store (store::open()'s); it outlives the Cluster.
  Cluster(store::Store& store, std::chrono::milliseconds lease,
          std::function<std::int64_t()> now_ms);

  // What the runtime writes through: the LeasedStore, or `store` itself when
  // it keeps no leases (a test's store).
  store::Store& store() { return leased_ ? static_cast<store::Store&>(*leased_) : store_; }
  bool enabled() const { return leased_.has_value(); }
  // Several nodes may share the store (PostgreSQL).
  bool shared() const { return shared_; }
  const store::Node& self() const { return self_; }
  // How often the heartbeat beats: a third of the lease, at most 5 s.
  std::chrono::milliseconds interval() const;

  // On the store thread. `status` is the node's ("running", "stopped").
  // `starting`: the first beat; on SQLite (one node) it recovers every
  // unfinished run, as a crash recovery.
  // Taking over is the beat's last step, so a run it took is always handed
  // back to be launched (or, when the take-over failed, was never taken).
  Result<ClusterBeat> beat(store::Store& on_thread, const std::string& status, bool starting);
  // On the store thread, between beats: takes over the runs whose leases
  // expired (in `taken`) and tells when the next one expires; the rest of
  // the ClusterBeat is left empty. Several nodes only.
  Result<ClusterBeat> take_over(store::Store& on_thread);
  // On the store thread: the execution of `run_id` ended, whatever its
  // outcome (store::LeasedStore::release). Every execution ends here, so
  // the node holds leases only on the runs it executes.
  Status release(std::int64_t run_id);
  // On the event loop: whether release(run_id) has anything to do (the
  // execution's final row, once committed, ended it already); when not,
  // the hop to the store thread is saved.
  bool executes(std::int64_t run_id) const { return leased_ && leased_->executes(run_id); }

 private:
  // Takes over expired runs (every unfinished one with `all`) into
  // out.taken and reads out.expiries.
  Status take(store::Store& on_thread, bool all, ClusterBeat& out);

  store::Store& store_;
  std::chrono::milliseconds lease_;
  std::function<std::int64_t()> now_ms_;
  store::Node self_;
  std::optional<store::LeasedStore> leased_;
  bool shared_ = false;
};

// What exchange_api_usage() keeps of the connections between heartbeats:
// each one's org. A connection pinned to an org never changes org, so the
// list is read again only when `stale` (set when the connections changed:
// Server::connections_changed), when a reading comes for a connection it
// does not know, or for one not pinned yet (this node may have pinned it).
struct ConnectionOrgs {
  std::map<std::int64_t, std::string> org_of;  // on the store thread only
  std::atomic<bool> stale{true};
};

// The API-budget guard across nodes (store::Store::put_api_usage). On the
// store thread: records the org usage this node's clients read since the
// last exchange (`seen`, by connection id; read at `now_ms`) and returns
// each connection's org's newest usage, whichever node read it. An org is
// its org id, or the connection itself before it is pinned to one.
Result<std::map<std::int64_t, salesforce::ApiUsage>> exchange_api_usage(
    store::Store& db, const std::map<std::int64_t, salesforce::ApiUsage>& seen, std::int64_t now_ms,
    ConnectionOrgs& orgs);

// A new node id: 16 random hex digits.
std::string new_node_id();

}  // namespace reportd::daemon
