// Server: the cluster half of `reportd serve` (server.hpp, cluster.hpp):
// the heartbeat's beat, taking over other nodes' runs as their leases
// expire, releasing a run's lease when its execution ends, and sharing the
// API usage the node read.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <algorithm>

#include "daemon/log.hpp"
#include "daemon/server.hpp"
#include "daemon/time_text.hpp"

namespace asio = boost::asio;

namespace reportd::daemon {
namespace {

// A lease is taken over when the taker's wall clock has passed its expiry;
// the timer fires this much after it.
constexpr std::int64_t kTakeOverMarginMs = 5;
// A run found expired and not taken (another node was taking it: skipped)
// is looked at again this long after the last take-over, not at once; a
// lease that expires later is taken over when it expires (take_over_at()).
constexpr auto kTakeOverFloor = std::chrono::seconds(1);

}  // namespace

// Each run admitted holds a first step of the budget all nodes share
// (scratch_first_step) and takes more as its scratch grows, so the budget
// limits how many runs go at once only when it cannot give each of them a
// first step: say so once at the start, with the fix.
void Server::warn_scratch_concurrency() const {
  const std::int64_t fit = config_.scratch_budget_bytes / scratch_first_step(config_);
  if (fit >= config_.max_concurrent_runs) return;
  log::warning("limits.scratch_concurrency",
               {{"count", static_cast<long>(fit)},
                {"reason", "several nodes share [limits] scratch_budget_bytes and each run holds "
                           "at least " + std::to_string(scratch_first_step(config_)) +
                               " bytes of it, so at most " + std::to_string(fit) +
                               " runs go at once across the nodes, fewer than "
                               "max_concurrent_runs = " + std::to_string(config_.max_concurrent_runs) +
                               "; raise scratch_budget_bytes"}});
}

asio::awaitable<Status> Server::beat_cluster(bool starting) {
  Cluster* cluster = &cluster_;
  const std::string status = stopping_ ? "stopped" : "running";
  auto beat = [cluster, status, starting](store::Store& db) {
    return cluster->beat(db, status, starting);
  };
  auto beaten = co_await runtime_.store_thread.run(std::move(beat));
  if (!beaten.ok()) co_return beaten.status();
  for (std::int64_t run : beaten->lost) {
    log::warning("run.lease_lost", {{"run", run}, {"state", "another node took it over"}});
  }
  launch_taken(beaten->taken, starting);
  if (cluster_.shared() && !stopping_) arm_take_over(beaten->expiries);
  scheduler_.set_share(beaten->share);
  endpoint_.cluster(cluster_.self().id, beaten->nodes, beaten->held);
  co_return Status();
}

asio::awaitable<void> Server::release_run(std::int64_t run_id) {
  Cluster* cluster = &cluster_;
  auto release = [cluster, run_id](store::Store&) { return cluster->release(run_id); };
  Status released = co_await runtime_.store_thread.run(std::move(release));
  if (!released.ok()) {
    log::warning("run.release_failed", {{"run", run_id},
                                        {"error", released.message()},
                                        {"state", "its lease expires by itself"}});
  }
}

asio::awaitable<Status> Server::share_api_usage() {
  std::map<std::int64_t, salesforce::ApiUsage> seen;
  for (const auto& c : runtime_.clients.stats()) {
    auto usage = runtime_.clients.local_usage(c.connection_id);
    auto last = usage_shared_.find(c.connection_id);
    if (usage && (last == usage_shared_.end() || last->second.used != usage->used ||
                  last->second.limit != usage->limit)) {
      seen[c.connection_id] = *usage;
    }
  }
  const std::int64_t now = now_ms();
  ConnectionOrgs* orgs = &connection_orgs_;
  auto exchange = [seen, now, orgs](store::Store& db) {
    return exchange_api_usage(db, seen, now, *orgs);
  };
  auto shared = co_await runtime_.store_thread.run(std::move(exchange));
  if (!shared.ok()) co_return shared.status();
  for (const auto& [id, usage] : seen) usage_shared_[id] = usage;
  runtime_.clients.set_shared_usage(std::move(shared).value());
  co_return Status();
}

void Server::launch_taken(const std::vector<jobs::Launch>& taken, bool starting) {
  for (const jobs::Launch& l : taken) {
    const bool beside = scheduler_.core().busy(l.occurrence.schedule_id);
    log::notice(starting ? "run.recover" : "run.takeover",
                {{"run", l.run_id},
                 {"schedule", l.occurrence.schedule_id},
                 {"node", cluster_.self().id},
                 {"state", !beside ? "queued" : starting ? "behind a run of its schedule"
                                                         : "queued beside a run of its schedule"}});
    // A run taken over does not wait for its schedule's run on this node
    // (it would end past the lease time and one run); at start, a
    // recovered run waits behind its schedule's.
    if (!starting) {
      scheduler_.take_over(l);
    } else if (!scheduler_.recover(l)) {
      launcher().launch(l);
    }
  }
}

void Server::arm_take_over(const store::Expiries& expiries) {
  using clock = std::chrono::steady_clock;
  const std::int64_t wall = runtime_.clock.wall_now().time_since_epoch().count();
  const auto at = take_over_at(expiries, wall, clock::now(), last_take_over_, kTakeOverFloor,
                               kTakeOverMarginMs);
  take_over_timer_.expires_at(at.value_or(clock::time_point::max()));  // max: nothing to wait for
}

asio::awaitable<void> Server::take_over_loop() {
  Cluster* cluster = &cluster_;
  while (!stopping_) {
    auto [ec] = co_await take_over_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (stopping_) break;
    if (ec) continue;  // armed again meanwhile: wait for the new time
    take_over_timer_.expires_at(std::chrono::steady_clock::time_point::max());
    last_take_over_ = std::chrono::steady_clock::now();
    auto taken = co_await runtime_.store_thread.run(
        [cluster](store::Store& db) { return cluster->take_over(db); });
    if (stopping_) break;
    // A store failure: the heartbeat reports it, and its next beat looks again.
    if (!taken.ok()) continue;
    launch_taken(taken->taken, false);
    arm_take_over(taken->expiries);
  }
}

}  // namespace reportd::daemon
