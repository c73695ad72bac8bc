#include "store/leased_store.hpp"

#include <chrono>
#include <limits>
#include <optional>

namespace reportd::store {

Status lease_lost(std::int64_t run_id, std::string_view why) {
  return Status::error(ErrorKind::kPermanent,
                       "run " + std::to_string(run_id) + ": lease lost (" + std::string(why) +
                           "); this node commits and sends nothing more for it",
                       kLeaseLost);
}

bool is_lease_lost(const Status& st) { return !st.ok() && st.code() == kLeaseLost; }

namespace {

// A store failure that says the database could not be reached (PgConn's
// kTransient), not a conflict to retry (serialization failure, deadlock).
bool unreachable(const Status& st) {
  return !st.ok() && st.kind() == ErrorKind::kTransient && st.code() != "40001" &&
         st.code() != "40P01" && st.code() != kLeaseLost;
}

}  // namespace

Leases* leases_of(Store& store) { return dynamic_cast<Leases*>(&store); }

LeasedStore::LeasedStore(Store& inner, Leases& leases, LeaseOptions options)
    : ForwardingStore(inner), leases_(leases), options_(std::move(options)) {}

std::int64_t LeasedStore::steady() const {
  if (options_.steady_ms) return options_.steady_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void LeasedStore::hold(std::int64_t run_id, std::int64_t epoch, std::int64_t since) {
  extend(run_id, epoch, since);
  std::lock_guard lock(mu_);
  executing_[run_id] = epoch;
}

void LeasedStore::extend(std::int64_t run_id, std::int64_t epoch, std::int64_t since) {
  // The lease was written after `since`, so it expires after since + lease.
  const std::int64_t safe = since + options_.lease.count() - options_.lease.count() / 3;
  std::lock_guard lock(mu_);
  held_[run_id] = Held{epoch, safe};
}

void LeasedStore::drop(std::int64_t run_id) {
  std::lock_guard lock(mu_);
  held_.erase(run_id);
}

std::optional<std::int64_t> LeasedStore::epoch_of(std::int64_t run_id) const {
  std::lock_guard lock(mu_);
  auto it = held_.find(run_id);
  if (it == held_.end()) return std::nullopt;
  return it->second.epoch;
}

std::size_t LeasedStore::held() const {
  std::lock_guard lock(mu_);
  return held_.size();
}

bool LeasedStore::executes(std::int64_t run_id) const {
  std::lock_guard lock(mu_);
  return executing_.contains(run_id);
}

std::size_t LeasedStore::executing() const {
  std::lock_guard lock(mu_);
  return executing_.size();
}

bool LeasedStore::may_send(std::int64_t run_id) {
  const std::int64_t now = steady();
  std::lock_guard lock(mu_);
  auto it = held_.find(run_id);
  if (it == held_.end()) return false;
  if (now < it->second.safe_until) return true;
  held_.erase(it);
  return false;
}

Result<std::vector<std::int64_t>> LeasedStore::renew() {
  std::vector<std::int64_t> lost, kept;
  std::map<std::int64_t, Held> held;
  {
    std::lock_guard lock(mu_);
    held = held_;
  }
  const std::int64_t since = steady();
  const std::int64_t until = expiry();
  Status st = inner_.transaction([&](Store&) -> Status {
    lost.clear();
    kept.clear();
    for (const auto& [run_id, h] : held) {
      auto renewed = leases_.renew_lease(Lease{run_id, 0, 0, h.epoch, 0}, options_.node_id, until);
      if (!renewed.ok()) return renewed.status();
      (*renewed ? kept : lost).push_back(run_id);
    }
    return Status();
  });
  if (!st.ok()) return st;
  for (std::int64_t id : lost) drop(id);
  for (std::int64_t id : kept) {
    if (auto epoch = epoch_of(id); epoch && *epoch == held[id].epoch) extend(id, *epoch, since);
  }
  return lost;
}

std::vector<std::int64_t> LeasedStore::mine() const {
  std::vector<std::int64_t> out;
  std::lock_guard lock(mu_);
  for (const auto& held : held_) out.push_back(held.first);
  for (const auto& run : executing_) {
    if (!held_.contains(run.first)) out.push_back(run.first);
  }
  return out;
}

Result<std::vector<Lease>> LeasedStore::take_over(bool all, int limit) {
  // Never a run this node still executes, even one whose lease it lost: its
  // execution would write with the new epoch.
  const std::vector<std::int64_t> except = mine();
  const std::int64_t since = steady();
  const std::int64_t before = all ? std::numeric_limits<std::int64_t>::max() : now();
  auto taken = leases_.take_over(options_.node_id, before, expiry(), except, limit);
  if (!taken.ok()) return taken;
  for (const Lease& l : *taken) hold(l.run_id, l.epoch, since);
  return taken;
}

Result<Expiries> LeasedStore::next_expiry() {
  return leases_.next_expiry(options_.node_id, mine(), now());
}

Status LeasedStore::release(std::int64_t run_id) {
  std::optional<std::int64_t> epoch;
  {
    std::lock_guard lock(mu_);
    held_.erase(run_id);
    if (auto it = executing_.find(run_id); it != executing_.end()) {
      epoch = it->second;
      executing_.erase(it);
    }
  }
  if (!epoch) return {};
  // Expires now: a no-op when the run is final or another node took it over.
  auto expired = leases_.renew_lease(Lease{run_id, 0, 0, *epoch, 0}, options_.node_id, now());
  return expired.ok() ? Status() : expired.status();
}

Status LeasedStore::fenced(std::int64_t run_id, std::int64_t valid_after_ms,
                           const std::function<Status(Store&)>& write) {
  const std::optional<std::int64_t> held = epoch_of(run_id);
  if (!held) return lease_lost(run_id, "this node holds no lease on it");
  const std::int64_t epoch = *held;
  Status st = inner_.transaction([&](Store& s) -> Status {
    if (Status fence = leases_.check_lease(run_id, options_.node_id, epoch, valid_after_ms);
        !fence.ok()) {
      return fence;
    }
    return write(s);
  });
  if (unreachable(st)) {
    // The database is unreachable (or the connection broke, the commit's
    // fate unknown): the node keeps no work it cannot commit. The run
    // stops as if its lease were lost; once the database is back, its lease
    // expires and a node resumes it through the ledger.
    st = lease_lost(run_id, "the database is unreachable: " + st.message());
  }
  if (is_lease_lost(st)) drop(run_id);
  return st;
}

Result<std::optional<std::int64_t>> LeasedStore::claim_occurrence(std::int64_t schedule_id,
                                                                  std::int64_t nominal_s,
                                                                  RunState state,
                                                                  std::string_view reason,
                                                                  std::int64_t now_ms) {
  if (is_final(state))
    return inner_.claim_occurrence(schedule_id, nominal_s, state, reason, now_ms);
  std::optional<std::int64_t> id;
  std::int64_t epoch = 0;
  const std::int64_t since = steady();
  Status st = inner_.transaction([&](Store& s) -> Status {
    auto claimed = s.claim_occurrence(schedule_id, nominal_s, state, reason, now_ms);
    if (!claimed.ok()) return claimed.status();
    id = *claimed;
    if (!id) return Status();
    auto leased = leases_.acquire_lease(*id, options_.node_id, expiry());
    if (!leased.ok()) return leased.status();
    epoch = *leased;
    return Status();
  });
  if (!st.ok()) return st;
  if (id) hold(*id, epoch, since);
  return id;
}

Result<std::vector<std::optional<std::int64_t>>> LeasedStore::claim_occurrences(
    const std::vector<OccurrenceClaim>& claims, std::int64_t now_ms) {
  std::vector<std::optional<std::int64_t>> ids;
  std::vector<std::pair<std::int64_t, std::int64_t>> taken;  // run id, epoch
  const std::int64_t since = steady();
  Status st = inner_.transaction([&](Store& s) -> Status {
    auto claimed = s.claim_occurrences(claims, now_ms);
    if (!claimed.ok()) return claimed.status();
    ids = std::move(claimed).value();
    taken.clear();
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (!ids[i] || is_final(claims[i].state)) continue;
      auto leased = leases_.acquire_lease(*ids[i], options_.node_id, expiry());
      if (!leased.ok()) return leased.status();
      taken.emplace_back(*ids[i], *leased);
    }
    return Status();
  });
  if (!st.ok()) return st;
  for (const auto& [id, epoch] : taken) hold(id, epoch, since);
  return ids;
}

Status LeasedStore::update_run(const Run& run) {
  Status st = fenced(run.id, now(), [&](Store& s) { return s.update_run(run); });
  if (st.ok() && is_final(run.state)) {
    // The final row is committed: the execution writes nothing more, and
    // release() would have nothing to expire (a final run's lease is never
    // renewed nor taken over), so it ends here; executes() says so.
    std::lock_guard lock(mu_);
    held_.erase(run.id);
    executing_.erase(run.id);
  }
  return st;
}

Result<Delivery> LeasedStore::ensure_delivery(std::int64_t run_id, DeliveryChannel channel,
                                              std::string_view recipient,
                                              std::string_view message_id, std::int64_t now_ms) {
  std::optional<Delivery> row;
  Status st = fenced(run_id, now(), [&](Store& s) -> Status {
    auto r = s.ensure_delivery(run_id, channel, recipient, message_id, now_ms);
    if (!r.ok()) return r.status();
    row = std::move(r).value();
    return Status();
  });
  if (!st.ok()) return st;
  return std::move(*row);
}

Status LeasedStore::update_delivery(const Delivery& d) {
  // A mail leaves after `sending` is committed: leave it at least a third of
  // the lease (two heartbeats), so it is sent long before another node
  // could take the run over.
  const std::int64_t margin = d.state == DeliveryState::kSending ? options_.lease.count() / 3 : 0;
  return fenced(d.run_id, now() + margin, [&](Store& s) { return s.update_delivery(d); });
}

Status LeasedStore::transaction(const std::function<Status(Store&)>& body) {
  // The body writes through this store, so its run writes are fenced too.
  return inner_.transaction([&](Store&) { return body(*this); });
}

}  // namespace reportd::store
