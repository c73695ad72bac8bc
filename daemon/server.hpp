#pragma once
// Server: `reportd serve`, built from its dependencies. Owns the io_context
// and everything on it: the Runtime (store thread, Salesforce clients, mail,
// the run pipeline), the Scheduler, the HTTP endpoint, the sync loop, the
// heartbeat, the wake socket and the watchdog. The config, key ring and
// store are the caller's and outlive it. All of it runs on run()'s thread.
//
// Two paths in, one each:
// - every change to the schedules table reaches the scheduler through
//   schedules_changed() (the wake socket, PostgreSQL's NOTIFY, the
//   heartbeat's data_version check, a sync, an automatic pause);
// - every run the pipeline finishes reaches the Server (the pipeline's
//   RunObserver), which frees its slot in the scheduler, logs it and tells
//   its own observers in turn: the endpoint (metrics, with the run's delivery
//   counts) and the sync loop (write-back).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "crypto/vault.hpp"
#include "daemon/change_feed.hpp"
#include "daemon/cluster.hpp"
#include "daemon/config.hpp"
#include "daemon/runtime.hpp"
#include "daemon/serve_endpoint.hpp"
#include "daemon/sync_loop.hpp"
#include "daemon/wake.hpp"
#include "daemon/watchdog.hpp"
#include "jobs/run_pipeline.hpp"
#include "jobs/scheduler.hpp"
#include "store/store.hpp"

namespace reportd::daemon {

// What a Server takes from its surroundings besides the config, keys and store.
struct ServerEnv {
  // Where the CLI's wakes arrive (wake_socket_path()); empty: no socket, the
  // heartbeat's data_version check alone notices the CLI's changes.
  std::string wake_socket;
  // Reads the config again on SIGHUP; empty: SIGHUP keeps the config.
  std::function<Result<Config>()> load_config;
  // The scheduler's, runs' and syncs' clock; null: the system clock.
  jobs::Clock* clock = nullptr;
  // Starts claimed runs; null: the Runtime's pipeline. Tests hold runs here
  // and end them through run_events(), as the pipeline does.
  jobs::Launcher* launcher = nullptr;
  // Connects a PostgreSQL listener for changes (change_feed.hpp); empty:
  // none (SQLite), the wake socket and the periodic check tell.
  ChangeFeed::Connect listen;
};

class Server final : private jobs::RunObserver {
 public:
  Server(Config config, const crypto::KeyRing& keys, store::Store& store, ServerEnv env = {});
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server() override;

  // The event loop: starts, then runs until SIGTERM or SIGINT (the drain
  // included); SIGHUP reloads the config. Returns the exit code.
  int run();

  // Reads the schedules into the scheduler and queues the runs a kill
  // interrupted (crash recovery). run() does it first; tests await it to use
  // a server without sockets or loops. Fails only when the store does.
  boost::asio::awaitable<Status> load();

  // The schedules table may have changed: the scheduler reloads it
  // (Scheduler::reload(), which coalesces concurrent calls) and the change is
  // logged (event=schedules.reload, schedule.invalid).
  boost::asio::awaitable<void> schedules_changed();

  // A reloaded config (SIGHUP): each component takes what it may change
  // (README, "Configuration": the Runtime [smtp], [notices] and
  // failures_before_pause; the sync loop [sync], [defaults], allowed_domains
  // and api_budget_percent; the endpoint [http] listen). Returns how moving
  // the endpoint went; the rest applies either way.
  Status apply(Config config);

  boost::asio::io_context& io() { return io_; }
  const Config& config() const { return config_; }
  Runtime& runtime() { return runtime_; }
  jobs::Scheduler& scheduler() { return scheduler_; }
  Metrics& metrics() { return endpoint_.metrics(); }
  // Whom the pipeline tells of each run it finishes or the notices pause.
  jobs::RunObserver& run_events() { return *this; }

 private:
  // jobs::RunObserver: frees the run's slot in the scheduler, logs the run
  // and tells observers_.
  void on_finished(const jobs::FinishedRun& finished) override;
  // The failure notices paused a schedule: the scheduler drops it.
  void on_paused(std::int64_t schedule_id) override;

  boost::asio::awaitable<void> start();
  void spawn_loops();
  boost::asio::awaitable<Status> record_state();
  boost::asio::awaitable<void> store_changed();
  boost::asio::awaitable<void> notice_version(std::int64_t version);
  boost::asio::awaitable<void> connections_changed();
  boost::asio::awaitable<void> heartbeat();
  // The cluster half of a heartbeat (cluster.hpp): launches the runs it took
  // over and tells the endpoint the nodes. Fails when the store does.
  boost::asio::awaitable<Status> beat_cluster(bool starting);
  // Launches runs the cluster took over (or recovered at start).
  void launch_taken(const std::vector<jobs::Launch>& taken, bool starting);
  // Several nodes: when other nodes' leases expire (wall clock, ms; none
  // known: nothing to wait for): take_over_loop() takes them over then, not
  // at a later heartbeat (take_over_at(): an overdue one a second after the
  // last take-over, an upcoming one when it expires).
  void arm_take_over(const store::Expiries& expiries);
  // Several nodes: warns when the shared scratch budget lets fewer runs go
  // at once than [limits] max_concurrent_runs (each holds a first step of it).
  void warn_scratch_concurrency() const;
  boost::asio::awaitable<void> take_over_loop();
  // A run's execution ended: its lease is released (Cluster::release).
  boost::asio::awaitable<void> release_run(std::int64_t run_id);
  // Several nodes: shares the org API usage this node read and learns the
  // others' (exchange_api_usage()), so that all obey one API budget.
  boost::asio::awaitable<Status> share_api_usage();
  void report_store(const Status& written);
  void wait_signal();
  void reload_config();
  void stop(const char* why);
  boost::asio::awaitable<void> drain();
  jobs::Launcher& launcher();

  ServerEnv env_;
  boost::asio::io_context io_;
  Config config_;
  Cluster cluster_;  // before runtime_: its store is the one runs write through
  Runtime runtime_;
  jobs::Scheduler scheduler_;
  ServeEndpoint endpoint_;  // after runtime_: stops first
  SyncLoop sync_loop_;
  std::vector<jobs::RunObserver*> observers_;  // hear of each finished run after the scheduler
  store::DaemonState state_;
  bool stopping_ = false;
  std::int64_t seen_version_ = -1;  // the store's data_version when last looked at
  std::map<std::int64_t, salesforce::ApiUsage> usage_shared_;  // as last put, by connection
  ConnectionOrgs connection_orgs_;  // share_api_usage()'s, between heartbeats
  std::int64_t beats_ = 0;          // heartbeats so far; every checks_every_-th reads data_version
  std::int64_t checks_every_ = 1;
  std::string store_error_;  // the last heartbeat's store error; empty: it wrote
  boost::asio::steady_timer take_over_timer_;  // arm_take_over()
  std::chrono::steady_clock::time_point last_take_over_{};
  WakeListener wake_;
  ChangeFeed feed_;
  Watchdog watchdog_;
  std::optional<boost::asio::signal_set> signals_;  // run() only
};

}  // namespace reportd::daemon
