#pragma once
// SyncLoop: the daemon's part in schedules defined in Salesforce (DESIGN.md
// §4.7). Syncs every connected org at start and every [sync]
// interval_minutes, has the scheduler re-read the store when a sync changed
// schedules, and writes each finished run of a synced schedule back onto its
// record (it is one of the pipeline's RunObservers). With several nodes, a
// connection is synced by one node per round (begin()); write-backs follow
// runs, which one node each executes. Lives on the daemon's
// io_context; uses the Runtime's store thread and Salesforce clients.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "daemon/config.hpp"
#include "daemon/runtime.hpp"
#include "jobs/sync/schedule_sync.hpp"
#include "jobs/sync/write_back.hpp"

namespace reportd::daemon {

// The sync's options from the config: [defaults] and [connections.NAME]
// allowed_domains, [limits] api_budget_percent.
sync::SyncOptions sync_options(const Config& config);

class SyncLoop final : public jobs::RunObserver {
 public:
  // Awaited after a sync that added, changed or removed schedules.
  using OnChanged = std::function<boost::asio::awaitable<void>()>;

  // Takes what it needs of `config` (it keeps no reference to it). `io` and
  // `runtime` must outlive the loop.
  SyncLoop(boost::asio::io_context& io, Runtime& runtime, const Config& config,
           OnChanged on_changed);

  // SIGHUP: [sync] interval_minutes, max_schedules_per_connection,
  // [defaults], [connections.NAME] allowed_domains and [limits]
  // api_budget_percent apply from the next sync and write-back; the
  // interval from the next wait.
  void apply(const Config& config);

  // Syncs now, then every interval, until stop().
  boost::asio::awaitable<void> run();
  void stop();
  // Connections changed (the CLI added one): syncs the connections not
  // synced yet at once, without moving the next full sync.
  void wake();

  // jobs::RunObserver: a run ended (any outcome); spawns its write-back, if
  // its schedule is synced.
  void on_finished(const jobs::FinishedRun& finished) override;
  // Write-backs still in flight; the daemon lets them finish before it stops.
  std::size_t active() const { return active_; }

 private:
  boost::asio::awaitable<void> sync_all(bool only_new);
  // Takes the connection's sync for this round; false: another node has it.
  boost::asio::awaitable<bool> begin(const store::Connection& c);

  boost::asio::io_context& io_;
  Runtime& runtime_;
  std::chrono::minutes interval_;  // [sync] interval_minutes
  sync::SyncOptions options_;      // for the next sync
  OnChanged on_changed_;
  sync::ScheduleSync sync_;
  sync::WriteBack write_back_;
  boost::asio::steady_timer timer_;
  bool stopped_ = false;
  bool woken_ = false;
  std::set<std::int64_t> synced_;  // connection ids synced at least once (never reused)
  std::size_t active_ = 0;
  std::map<std::int64_t, std::string> last_error_;  // per connection: log a failure once
};

}  // namespace reportd::daemon
