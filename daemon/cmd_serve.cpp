// reportd serve: the daemon. Wires the runtime, the scheduler and signals
// together on one io_context (DESIGN.md §5).
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <ostream>

#include "daemon/commands.hpp"
#include "daemon/log.hpp"
#include "daemon/runtime.hpp"
#include "daemon/serve.hpp"
#include "daemon/serve_endpoint.hpp"
#include "daemon/sync_loop.hpp"
#include "daemon/time_text.hpp"
#include "daemon/wake.hpp"
#include "daemon/watchdog.hpp"
#include "jobs/schedule_reload.hpp"
#include "jobs/scheduler.hpp"

namespace asio = boost::asio;

namespace reportd::daemon {
namespace {

constexpr auto kDrainBound = std::chrono::seconds(60);

void rethrow(std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
}

class Daemon final : public jobs::RunObserver {
 public:
  Daemon(Context& ctx, Config config, const crypto::KeyRing& keys, store::Store& store)
      : ctx_(ctx),
        config_(std::move(config)),
        runtime_(io_, config_, keys, store, RunSetup{{}, true, {this}}),
        scheduler_(io_.get_executor(), runtime_.clock, runtime_.store_thread, runtime_.pipeline,
                   scheduler_options(config_)),
        reload_(scheduler_, runtime_.store_thread),
        signals_(io_, SIGINT, SIGTERM, SIGHUP) {
    // Occurrences the scheduler itself records as missed or skipped are
    // final without a run: the pipeline never hears of them.
    scheduler_.set_on_recorded([this](const store::Run& run) { endpoint_.run_recorded(run); });
  }

  // jobs::RunObserver: the pipeline's runs.
  void on_finished(std::int64_t schedule_id, const store::Run& run) override {
    scheduler_.run_finished(schedule_id);
    endpoint_.run_finished(run);
    sync_loop_.run_finished(schedule_id, run);  // status onto a synced schedule's record
    log::write(run.state == store::RunState::kFailed ? log::Priority::kErr : log::Priority::kInfo,
               "run.done", {{"schedule", schedule_id},
                            {"state", std::string(store::to_string(run.state))},
                            {"rows", run.rows},
                            {"reason", run.reason}});
  }
  void on_paused(std::int64_t schedule_id) override {
    log::warning("schedule.paused", {{"schedule", schedule_id}});
    asio::co_spawn(io_, reload_schedules(), rethrow);
  }

  int run() {
    asio::co_spawn(io_, start(), rethrow);
    wait_signal();
    io_.run();
    return 0;
  }

 private:
  static jobs::SchedulerOptions scheduler_options(const Config& c) {
    jobs::SchedulerOptions o;
    o.global_limit = static_cast<int>(c.max_concurrent_runs);
    o.per_org_limit = static_cast<int>(c.max_runs_per_org);
    return o;
  }

  // Each unfinished run with its schedule's org, for crash recovery.
  static Result<std::vector<jobs::Launch>> unfinished_runs(store::Store& s) {
    auto runs = s.unfinished_runs();
    if (!runs.ok()) return runs.status();
    std::vector<jobs::Launch> out;
    for (const store::Run& r : *runs) {
      auto sched = s.get_schedule(r.schedule_id);
      const std::int64_t org = sched.ok() ? sched->connection_id : 0;
      jobs::Occurrence o{r.schedule_id, org, date::sys_seconds(std::chrono::seconds(r.nominal_s))};
      out.push_back({o, r.id});
    }
    return out;
  }

  asio::awaitable<void> start() {
    endpoint_.start(config_.http_listen);
    // Read before the schedules: a change the CLI commits from here on moves it.
    auto version = co_await runtime_.store_thread.run(
        [](store::Store& db) { return db.data_version(); });
    if (version.ok()) seen_version_ = *version;
    Status loaded = co_await scheduler_.load();
    if (!loaded.ok()) throw std::runtime_error(loaded.message());
    for (const Status& e : scheduler_.load_errors()) {
      log::warning("schedule.invalid", {{"error", e.message()}});
    }
    (void)co_await reload_.prime();
    // Crash recovery: runs that a kill interrupted run again, behind the
    // concurrency limits like any run; the delivery ledger keeps them from
    // repeating what was already sent.
    auto unfinished = co_await runtime_.store_thread.run(unfinished_runs);
    if (unfinished.ok()) {
      for (const jobs::Launch& l : *unfinished) {
        log::notice("run.recover", {{"run", l.run_id}, {"schedule", l.occurrence.schedule_id}});
        if (!scheduler_.recover(l)) runtime_.pipeline.spawn(l.occurrence.schedule_id, l.run_id);
      }
    }
    // Recorded before READY, so `reportd status` says running as soon as
    // serve.ready is logged; the heartbeat then keeps it fresh.
    state_.status = "running";
    (void)co_await record_state();
    asio::co_spawn(io_, scheduler_.run(), rethrow);
    asio::co_spawn(io_, heartbeat(), rethrow);
    asio::co_spawn(io_, sync_loop_.run(), rethrow);  // schedules defined in Salesforce
    watchdog_.start();
    if (Status st = wake_.open(); st.ok()) {
      asio::co_spawn(io_, wake_.run([this] { return store_changed(); }), rethrow);
    } else {
      log::warning("wake.unavailable", {{"error", st.message()},
                                        {"state", "CLI changes are noticed at the next heartbeat"}});
    }
    sd_notify(0, "READY=1\nSTATUS=running");
    log::info("serve.ready", {{"schedules", static_cast<long>(scheduler_.core().size())}});
  }

  // Writes state_, with the heartbeat time now, to the store.
  asio::awaitable<Status> record_state() {
    state_.heartbeat_at_ms = now_ms();
    store::DaemonState s = state_;
    auto put = [s](store::Store& db) { return db.put_daemon_state(s); };
    co_return co_await runtime_.store_thread.run(std::move(put));
  }

  // Brings the scheduler up to date with the store (the CLI or an automatic
  // pause changed schedules).
  asio::awaitable<void> reload_schedules() {
    auto r = co_await reload_.reload();
    if (r.ok() && (r->added || r->changed || r->removed)) {
      log::info("schedules.reload", {{"count", r->added + r->changed + r->removed}});
    }
    if (r.ok()) {
      for (const Status& e : r->errors) log::warning("schedule.invalid", {{"error", e.message()}});
    }
  }

  // The CLI changed the store (it said so on the wake socket, or the
  // heartbeat saw data_version move): bring the scheduler up to date.
  asio::awaitable<void> notice_version(std::int64_t version) {
    const bool moved = seen_version_ >= 0 && version != seen_version_;
    seen_version_ = version;
    if (!moved) co_return;
    // Clients first: a schedule of a re-added connection must not start on
    // the removed connection's session.
    co_await reload_connections();
    co_await reload_schedules();
  }

  asio::awaitable<void> store_changed() {
    auto version = co_await runtime_.store_thread.run(
        [](store::Store& db) { return db.data_version(); });
    if (version.ok()) co_await notice_version(*version);
  }

  // Drops the Salesforce client of every connection removed or
  // re-authorized, and syncs a connection added since, at once.
  asio::awaitable<void> reload_connections() {
    auto dropped = co_await runtime_.clients.reload();
    if (!dropped.ok()) {
      log::warning("connections.reload_failed", {{"error", dropped.status().message()}});
    } else if (*dropped > 0) {
      log::notice("connections.changed", {{"count", static_cast<long>(*dropped)}});
    }
    sync_loop_.wake();
  }

  asio::awaitable<void> heartbeat() {
    asio::steady_timer timer(io_);
    while (!stopping_) {
      state_.heartbeat_at_ms = now_ms();
      store::DaemonState s = state_;
      auto beat = [s](store::Store& db) -> Result<std::int64_t> {
        if (Status st = db.put_daemon_state(s); !st.ok()) return st;
        return db.data_version();
      };
      auto version = co_await runtime_.store_thread.run(std::move(beat));
      if (!version.ok()) {
        log::warning("heartbeat.failed", {{"error", version.status().message()}});
      } else {
        co_await notice_version(*version);
      }
      endpoint_.heartbeat(version.ok() ? Status() : version.status());
      timer.expires_after(std::chrono::milliseconds(kHeartbeatMs));
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }

  void wait_signal() {
    signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP) {
        reload_config();
        wait_signal();
        return;
      }
      stop(sig == SIGTERM ? "SIGTERM" : "SIGINT");
    });
  }

  void reload_config() {
    sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
               static_cast<unsigned long long>(
                   std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::steady_clock::now().time_since_epoch())
                       .count()));
    // A bad new config keeps the old one and says why (DESIGN.md §5).
    Result<Config> next = ctx_.load_config();
    if (next.ok()) {
      config_ = std::move(next).value();
      runtime_.apply(config_);
      log::notice("serve.reload", {{"config", config_.path.empty() ? "defaults" : config_.path}});
      if (Status moved = endpoint_.rebind(config_.http_listen); !moved.ok()) {
        // The endpoint keeps its old address (if it had one); the rest of
        // the new config applies.
        log::err("http.rebind_failed", {{"listen", config_.http_listen},
                                        {"error", moved.message()},
                                        {"state", "kept the previous listener"}});
        sd_notifyf(0, "READY=1\nSTATUS=config reloaded, but [http] listen %s failed, kept the "
                      "previous listener: %s",
                   config_.http_listen.c_str(), moved.message().c_str());
        return;
      }
      sd_notify(0, "READY=1\nSTATUS=running; config reloaded");
    } else {
      log::err("serve.reload_failed",
               {{"error", next.status().message()}, {"state", "kept the previous config"}});
      sd_notifyf(0, "READY=1\nSTATUS=reload failed, kept the previous config: %s",
                 next.status().message().c_str());
    }
  }

  void stop(const char* why) {
    if (stopping_) return;
    stopping_ = true;
    sd_notify(0, "STOPPING=1");
    endpoint_.stopping();
    log::notice("serve.stop", {{"signal", why},
                               {"count", static_cast<long>(runtime_.pipeline.active())}});
    scheduler_.stop();
    sync_loop_.stop();
    watchdog_.stop();
    wake_.close();
    asio::co_spawn(io_, drain(), rethrow);
  }

  // Lets running runs finish, within a bound; what is cut off runs again
  // after the next start (crash recovery).
  asio::awaitable<void> drain() {
    asio::steady_timer timer(io_);
    auto until = std::chrono::steady_clock::now() + kDrainBound;
    while ((runtime_.pipeline.active() > 0 || sync_loop_.active() > 0) &&
           std::chrono::steady_clock::now() < until) {
      timer.expires_after(std::chrono::milliseconds(100));
      co_await timer.async_wait(asio::use_awaitable);
    }
    state_.status = "stopped";
    (void)co_await record_state();
    io_.stop();
  }

  Context& ctx_;
  asio::io_context io_;
  Config config_;
  Runtime runtime_;
  jobs::Scheduler scheduler_;
  jobs::ScheduleReload reload_;
  asio::signal_set signals_;
  ServeEndpoint endpoint_{io_, runtime_, config_};  // after runtime_: stops first
  SyncLoop sync_loop_{io_, runtime_, config_, [this] { return reload_schedules(); }};
  store::DaemonState state_{::getpid(), now_ms(), 0, REPORTD_VERSION, "starting"};
  bool stopping_ = false;
  std::int64_t seen_version_ = -1;  // the store's data_version when last looked at
  WakeListener wake_{io_.get_executor(), wake_socket_path(ctx_.state_dir())};
  Watchdog watchdog_{io_.get_executor(), Watchdog::interval_from_environment(),
                     [](const char* state) { sd_notify(0, state); }};
};

}  // namespace

int cmd_serve(Context& ctx) {
  Result<Config> config = ctx.load_config();
  if (!config.ok()) return ctx.fail(std::move(config).status().with_context("cannot start"));
  Result<crypto::KeyRing> keys = ctx.load_keys();
  if (!keys.ok()) return ctx.fail(std::move(keys).status().with_context("cannot start"));
  auto opened = ctx.open_store();
  if (!opened.ok()) return ctx.fail(std::move(opened).status().with_context("cannot start"));
  log::info("serve.start", {{"pid", static_cast<long>(::getpid())},
                            {"state_dir", ctx.state_dir()},
                            {"version", REPORTD_VERSION},
                            {"key_id", keys->primary().id},
                            {"config", config->path.empty() ? "defaults" : config->path}});
  Daemon daemon(ctx, std::move(config).value(), *keys, **opened);
  return daemon.run();
}

}  // namespace reportd::daemon
