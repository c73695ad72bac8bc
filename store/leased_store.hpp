#pragma once
// LeasedStore: the Store one node's runs write through (DESIGN.md §4.10).
// It wraps the opened store and its Leases, and holds the leases of the
// runs this node executes (run id -> epoch):
// - claim_occurrence() of a run to execute takes its lease in the claim's
//   transaction;
// - every run state change and ledger write (update_run, ensure_delivery,
//   update_delivery) is fenced: in one transaction, check_lease() with the
//   held epoch, then the write. Zero rows = the lease is lost: the write is
//   refused with kLeaseLost, the lease is forgotten, and every later write
//   of that run is refused too, so the run stops having committed nothing;
// - a fenced write that fails because the database is unreachable is a
//   lost lease too: the node keeps no work it cannot commit;
// - a `sending` ledger row (the step before a mail leaves) needs the lease
//   to have a third of the lease time left, so a mail is never handed to
//   the relay on a lease about to expire;
// - renew() (the heartbeat) extends every held lease; take_over() takes the
//   runs of nodes whose leases expired, never a run this node still
//   executes (claimed or taken over, and not yet released), even after it
//   lost that run's lease: an execution writes with the epoch it started
//   with, never a later one of the same node;
// - release(run) ends an execution (whatever its outcome): the node stops
//   renewing the lease and expires it now if the run is unfinished, so that
//   a run whose execution ended without a final row (the store failed, the
//   database was unreachable) is taken over at the next heartbeat instead
//   of being renewed forever by a node that no longer executes it;
//   an execution whose final row this store committed (update_run) has
//   ended already: release() then has nothing to do (executes() is false);
// - may_send(run) tells, from any thread and without the database, whether
//   the lease is still surely held by the node's own monotonic clock (a
//   third of the lease before it could expire): the last check before a
//   mail is handed to the relay, so that a node paused after committing
//   `sending` does not send once it wakes.
// Everything else is forwarded (ForwardingStore). Used on one thread (the store thread), as
// every Store, except may_send().

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/forwarding_store.hpp"
#include "store/leases.hpp"

namespace reportd::store {

struct LeaseOptions {
  std::string node_id;                      // this node (random per process start)
  std::chrono::milliseconds lease{30'000};  // how long a lease lasts without renewal
  std::function<std::int64_t()> now_ms;     // the node's clock, ms since the epoch
  // A monotonic clock in ms (it keeps counting while the process is
  // stopped); empty: std::chrono::steady_clock.
  std::function<std::int64_t()> steady_ms;
};

class LeasedStore final : public ForwardingStore {
 public:
  // `inner` and `leases` are one object (store::open()'s); both outlive this.
  LeasedStore(Store& inner, Leases& leases, LeaseOptions options);

  // --- the lease operations of the heartbeat
  // Extends every held lease to now + lease time and forgets those no
  // longer held (taken over while this node could not renew). Returns the
  // run ids it forgot.
  Result<std::vector<std::int64_t>> renew();
  // Takes over unfinished runs whose lease expired (with `all`: every
  // unfinished run, for SQLite's one node at start), except those this node
  // still executes; holds their leases and returns them.
  Result<std::vector<Lease>> take_over(bool all, int limit);
  // When take_over() will next find another node's run (Leases::next_expiry
  // as of now, except the runs this node executes).
  Result<Expiries> next_expiry();
  // The execution of `run_id` ended (it finished, or stopped with no final
  // row). Forgets the run, and expires its lease now when this node still
  // holds it on an unfinished run. A store failure is returned; the run is
  // forgotten all the same (its lease then expires by itself).
  Status release(std::int64_t run_id);
  std::size_t held() const;
  // Runs this node executes (claimed or taken over, not yet released nor
  // given their final row).
  std::size_t executing() const;
  // Any thread: whether `run_id` is one of them, i.e. whether release()
  // has anything to do for it.
  bool executes(std::int64_t run_id) const;
  // Any thread: `run_id`'s lease is held and, by the monotonic clock, at
  // least a third of the lease time from expiring. When it is not, the run
  // is given up here (the caller stops it): its lease is no longer renewed,
  // and another node takes it over once it expired.
  bool may_send(std::int64_t run_id);
  const std::string& node_id() const { return options_.node_id; }
  Leases& leases() { return leases_; }

  // --- Store: the calls it changes (ForwardingStore passes the rest on)
  Status transaction(const std::function<Status(Store&)>& body) override;
  Result<std::optional<std::int64_t>> claim_occurrence(std::int64_t schedule_id,
                                                       std::int64_t nominal_s, RunState state,
                                                       std::string_view reason,
                                                       std::int64_t now_ms) override;
  // Each claim of a run to execute takes its lease in the batch's one
  // transaction, as claim_occurrence() does.
  Result<std::vector<std::optional<std::int64_t>>> claim_occurrences(
      const std::vector<OccurrenceClaim>& claims, std::int64_t now_ms) override;
  Status update_run(const Run& run) override;
  Result<Delivery> ensure_delivery(std::int64_t run_id, DeliveryChannel channel,
                                   std::string_view recipient, std::string_view message_id,
                                   std::int64_t now_ms) override;
  Status update_delivery(const Delivery& d) override;

 private:
  // Runs `write` after the fence, in one transaction; see the file comment.
  Status fenced(std::int64_t run_id, std::int64_t valid_after_ms,
                const std::function<Status(Store&)>& write);
  std::int64_t now() const { return options_.now_ms(); }
  std::int64_t expiry() const { return now() + options_.lease.count(); }
  std::int64_t steady() const;
  // Holds `run_id` at `epoch` (and executes it); its lease was written at
  // monotonic `since`.
  void hold(std::int64_t run_id, std::int64_t epoch, std::int64_t since);
  // Extends the lease still held at `epoch`.
  void extend(std::int64_t run_id, std::int64_t epoch, std::int64_t since);
  void drop(std::int64_t run_id);
  std::optional<std::int64_t> epoch_of(std::int64_t run_id) const;
  // The runs this node executes or holds: never taken over by it.
  std::vector<std::int64_t> mine() const;

  struct Held {
    std::int64_t epoch = 0;
    std::int64_t safe_until = 0;  // monotonic ms: may_send() until then
  };

  Leases& leases_;
  LeaseOptions options_;
  mutable std::mutex mu_;  // guards held_ (may_send() reads it from other threads)
  std::map<std::int64_t, Held> held_;
  // Run id -> the epoch its execution started with; kept after the lease
  // is lost, until release().
  std::map<std::int64_t, std::int64_t> executing_;
};

}  // namespace reportd::store
