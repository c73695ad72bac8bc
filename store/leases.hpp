#pragma once
// Leases: the nodes that serve one store, and the lease each holds on the
// runs it executes (DESIGN.md §4.10). A lease is (node, epoch, expiry) on
// the run's row. The node that claims an occurrence takes its lease; its
// heartbeat renews it; when it stops renewing (killed, paused, cut off),
// the lease expires and another node takes the run over with epoch + 1 and
// resumes it through the delivery ledger. Every later write of the old
// holder carries its epoch and is refused (check_lease): it can commit
// nothing more. SqliteStore and PgStore implement it beside Store; on
// SQLite there is one node. Times are the caller's clock (ms since the
// epoch): nodes need clocks in step to well within the lease's margin.
// Thread safety: as Store, one thread at a time.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.hpp"

namespace reportd::store {

// One `reportd serve` process, as `reportd status` shows it.
struct Node {
  std::string id;  // random per process start
  std::string host;
  std::int64_t pid = 0;
  std::int64_t started_at_ms = 0;
  std::int64_t heartbeat_at_ms = 0;
  std::string status;          // "running", "stopped"
  std::int64_t runs_held = 0;  // list_nodes(): unfinished runs whose lease names it
};

// A lease on one run, as take_over() hands it out.
struct Lease {
  std::int64_t run_id = 0;
  std::int64_t schedule_id = 0;
  std::int64_t nominal_s = 0;
  std::int64_t epoch = 0;
  std::int64_t expires_at_ms = 0;
};

// When take_over() will next find a run other than this node's, as of a
// time `now_ms` (next_expiry()).
struct Expiries {
  // The earliest lease that expired before now_ms and is still held by
  // another node: take_over() skipped it (another node is taking it over
  // just then) or left it for its limit.
  std::optional<std::int64_t> overdue;
  // The earliest lease expiring at or after now_ms.
  std::optional<std::int64_t> upcoming;
  bool operator==(const Expiries&) const = default;
};

// What check_lease() and a fenced write return when the lease is gone:
// kPermanent with this code. The run must stop: nothing more is committed
// or sent for it by this holder.
inline constexpr const char* kLeaseLost = "lease-lost";
Status lease_lost(std::int64_t run_id, std::string_view why);
bool is_lease_lost(const Status& st);

class Leases {
 public:
  virtual ~Leases() = default;

  // True when several nodes may share the store (PostgreSQL); false for
  // SQLite, whose one node recovers every unfinished run when it starts.
  virtual bool shared() const = 0;

  // Inserts or replaces the node's row by id, and forgets nodes silent
  // since `forget_before_ms` that hold no unfinished run.
  virtual Status put_node(const Node& node, std::int64_t forget_before_ms) = 0;
  // Every known node, oldest start first, with the runs each holds.
  virtual Result<std::vector<Node>> list_nodes() = 0;

  // Gives the lease of `run_id` to `node`: epoch + 1, expiring at
  // `expires_at_ms`. For a run this node has just claimed (in the claim's
  // transaction). Returns the new epoch.
  virtual Result<std::int64_t> acquire_lease(std::int64_t run_id, std::string_view node,
                                             std::int64_t expires_at_ms) = 0;
  // Extends the lease `lease` (run, epoch) of `node` to `expires_at_ms`.
  // False when it is no longer held: taken over, or never this node's.
  virtual Result<bool> renew_lease(const Lease& lease, std::string_view node,
                                   std::int64_t expires_at_ms) = 0;
  // Takes over at most `limit` unfinished runs whose lease expired before
  // `now_ms` (each: node, epoch + 1, expiring at `expires_at_ms`), except
  // the runs in `except` (those this node still executes). Never waits on
  // a row another transaction holds: such a row is skipped (PostgreSQL's
  // FOR UPDATE SKIP LOCKED) and looked at again next time.
  virtual Result<std::vector<Lease>> take_over(std::string_view node, std::int64_t now_ms,
                                               std::int64_t expires_at_ms,
                                               const std::vector<std::int64_t>& except,
                                               int limit) = 0;
  // When take_over() will next find a run other than this node's: the
  // earliest lease expiry among unfinished runs whose lease names another
  // node, except the runs in `except`, before `now_ms` (overdue) and from
  // it on (upcoming); nullopt where there is none. (A node arms a timer for
  // them, so a dead node's runs are taken over as their leases expire, not
  // at some later heartbeat; an overdue one is looked at again a little
  // later, an upcoming one when it expires.)
  virtual Result<Expiries> next_expiry(std::string_view node,
                                       const std::vector<std::int64_t>& except,
                                       std::int64_t now_ms) = 0;
  // The fence. Inside a transaction: checks that `node` holds `run_id` at
  // `epoch` and that the lease expires after `valid_after_ms`, and locks the
  // run's row until the transaction ends, so that no take-over can come
  // between this check and the writes that follow it in the transaction.
  // lease_lost() otherwise.
  virtual Status check_lease(std::int64_t run_id, std::string_view node, std::int64_t epoch,
                             std::int64_t valid_after_ms) = 0;
};

// The Leases of a store opened by store::open(); null for another Store.
Leases* leases_of(Store& store);

}  // namespace reportd::store
