#include "daemon/server.hpp"

#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <stdexcept>

#include "daemon/log.hpp"
#include "daemon/serve.hpp"
#include "daemon/time_text.hpp"

namespace asio = boost::asio;

namespace reportd::daemon {
namespace {

constexpr auto kDrainBound = std::chrono::seconds(60);

void rethrow(std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
}

jobs::SchedulerOptions scheduler_options(const Config& c) {
  jobs::SchedulerOptions o;
  o.global_limit = static_cast<int>(c.max_concurrent_runs);
  o.per_org_limit = static_cast<int>(c.max_runs_per_org);
  o.claim_grace = std::chrono::seconds(c.store_claim_grace_seconds);
  return o;
}

// Each unfinished run with its schedule's org, for crash recovery.
Result<std::vector<jobs::Launch>> unfinished_runs(store::Store& s) {
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

}  // namespace

Server::Server(Config config, const crypto::KeyRing& keys, store::Store& store, ServerEnv env)
    : env_(std::move(env)),
      config_(std::move(config)),
      cluster_(store, std::chrono::seconds(config_.store_lease_seconds),
               [this] { return runtime_.clock.wall_now().time_since_epoch().count(); }),
      runtime_(io_, config_, keys, cluster_.store(), RunSetup{{}, true, {this}, env_.clock}),
      scheduler_(io_.get_executor(), runtime_.clock, runtime_.store_thread, launcher(),
                 scheduler_options(config_)),
      endpoint_(io_, runtime_, config_),
      sync_loop_(io_, runtime_, config_, [this] { return schedules_changed(); }),
      state_{::getpid(), now_ms(), 0, REPORTD_VERSION, "starting"},
      take_over_timer_(io_, std::chrono::steady_clock::time_point::max()),
      wake_(io_.get_executor(), env_.wake_socket),
      feed_(io_.get_executor(), env_.listen),
      watchdog_(io_.get_executor(), Watchdog::interval_from_environment(),
                [](const char* state) { sd_notify(0, state); }) {
  observers_ = {&endpoint_, &sync_loop_};
  // [store] check_seconds in heartbeats, rounded; at least every beat.
  const auto beat = cluster_.interval().count();
  checks_every_ = std::max<std::int64_t>(1, (config_.store_check_seconds * 1000 + beat / 2) / beat);
  // Occurrences the scheduler itself records as missed or skipped are
  // final without a run: the pipeline never hears of them.
  scheduler_.set_on_recorded([this](const store::Run& run) { endpoint_.run_recorded(run); });
}

Server::~Server() = default;

jobs::Launcher& Server::launcher() {
  if (env_.launcher != nullptr) return *env_.launcher;
  return runtime_.pipeline;
}

int Server::run() {
  signals_.emplace(io_, SIGINT, SIGTERM, SIGHUP);
  asio::co_spawn(io_, start(), rethrow);
  wait_signal();
  io_.run();
  return 0;
}

void Server::on_finished(const jobs::FinishedRun& finished) {
  scheduler_.run_finished(finished.schedule_id);
  const store::Run& run = finished.run;
  if (cluster_.executes(run.id)) asio::co_spawn(io_, release_run(run.id), rethrow);
  if (run.error_code == store::kLeaseLost) {
    // Another node took the run over and finishes it: this one recorded
    // nothing, so neither metrics nor the write-back hear of it.
    log::warning("run.lease_lost", {{"run", run.id},
                                    {"schedule", finished.schedule_id},
                                    {"state", "stopped; another node finishes it"}});
    return;
  }
  log::write(run.state == store::RunState::kFailed ? log::Priority::kErr : log::Priority::kInfo,
             "run.done",
             {{"schedule", finished.schedule_id},
              {"state", std::string(store::to_string(run.state))},
              {"rows", run.rows},
              {"reason", run.reason}});
  if (!finished.sent_commit_windows.empty()) {
    // How long each recipient's mail stayed accepted by the relay but not yet
    // recorded sent: a kill inside it makes the one duplicate RFC 1047 allows.
    // Its Message-ID and wall-clock times line it up with the relay's log.
    // commit_us splits into queue_us (the store work ahead of the write) and
    // write_us (the write and its commit); resume_us comes after it.
    std::string ids, dots, reads, us, queue, write, resume;
    for (const auto& w : finished.sent_commit_windows) {
      const char* sep = us.empty() ? "" : ",";
      ids += sep + w.message_id;
      dots += sep + std::to_string(w.dot_at_us);
      reads += sep + std::to_string(w.read_at_us);
      us += sep + std::to_string(w.commit.count());
      queue += sep + std::to_string(w.queue.count());
      write += sep + std::to_string(w.write.count());
      resume += sep + std::to_string(w.resume.count());
    }
    log::info("mail.sent", {{"run", run.id},
                            {"recipients", static_cast<long>(finished.sent_commit_windows.size())},
                            {"commit_us", us},
                            {"message_ids", ids},
                            {"dot_at_us", dots},
                            {"read_at_us", reads},
                            {"queue_us", queue},
                            {"write_us", write},
                            {"resume_us", resume}});
  }
  for (jobs::RunObserver* o : observers_) o->on_finished(finished);
}

void Server::on_paused(std::int64_t schedule_id) {
  log::warning("schedule.paused", {{"schedule", schedule_id}});
  asio::co_spawn(io_, schedules_changed(), rethrow);
}

asio::awaitable<Status> Server::load() {
  Status loaded = co_await scheduler_.load();
  if (!loaded.ok()) co_return loaded;
  for (const Status& e : scheduler_.load_errors()) {
    log::warning("schedule.invalid", {{"error", e.message()}});
  }
  // Crash recovery: runs that a kill interrupted run again, behind the
  // concurrency limits like any run; the delivery ledger keeps them from
  // repeating what was already sent. With leases (cluster.hpp) that is the
  // first beat: SQLite's one node takes every unfinished run, a node on
  // PostgreSQL those whose lease expired (its heartbeat takes the rest as
  // their leases expire).
  if (cluster_.enabled()) {
    (void)co_await beat_cluster(true);
    co_return Status();
  }
  auto unfinished = co_await runtime_.store_thread.run(unfinished_runs);
  if (unfinished.ok()) {
    for (const jobs::Launch& l : *unfinished) {
      log::notice("run.recover", {{"run", l.run_id}, {"schedule", l.occurrence.schedule_id}});
      if (!scheduler_.recover(l)) launcher().launch(l);
    }
  }
  co_return Status();
}

asio::awaitable<void> Server::start() {
  endpoint_.start(config_.http_listen);
  // Read before the schedules: a change the CLI commits from here on moves it.
  auto version =
      co_await runtime_.store_thread.run([](store::Store& db) { return db.data_version(); });
  if (version.ok()) seen_version_ = *version;
  Status loaded = co_await load();
  if (!loaded.ok()) throw std::runtime_error(loaded.message());
  // Recorded before READY, so `reportd status` says running as soon as
  // serve.ready is logged; the heartbeat then keeps it fresh.
  state_.status = "running";
  (void)co_await record_state();
  spawn_loops();
  sd_notify(0, "READY=1\nSTATUS=running");
  log::info("serve.ready", {{"schedules", static_cast<long>(scheduler_.core().size())},
                            {"node", cluster_.self().id}});
  if (cluster_.shared()) warn_scratch_concurrency();
}

void Server::spawn_loops() {
  asio::co_spawn(io_, scheduler_.run(), rethrow);
  asio::co_spawn(io_, heartbeat(), rethrow);
  if (cluster_.shared()) asio::co_spawn(io_, take_over_loop(), rethrow);
  asio::co_spawn(io_, sync_loop_.run(), rethrow);  // schedules defined in Salesforce
  watchdog_.start();
  if (env_.listen) asio::co_spawn(io_, feed_.run([this] { return store_changed(); }), rethrow);
  if (env_.wake_socket.empty()) return;
  if (Status st = wake_.open(); st.ok()) {
    asio::co_spawn(io_, wake_.run([this] { return store_changed(); }), rethrow);
  } else {
    log::warning("wake.unavailable", {{"error", st.message()},
                                      {"state", "CLI changes are noticed at the next heartbeat"}});
  }
}

// Writes state_, with the heartbeat time now, to the store.
asio::awaitable<Status> Server::record_state() {
  state_.heartbeat_at_ms = now_ms();
  store::DaemonState s = state_;
  auto put = [s](store::Store& db) { return db.put_daemon_state(s); };
  co_return co_await runtime_.store_thread.run(std::move(put));
}

asio::awaitable<void> Server::schedules_changed() {
  auto r = co_await scheduler_.reload();
  if (!r.ok()) co_return;  // the heartbeat reports store failures
  if (r->added || r->changed || r->removed) {
    log::info("schedules.reload", {{"count", r->added + r->changed + r->removed}});
  }
  for (const Status& e : r->errors) log::warning("schedule.invalid", {{"error", e.message()}});
}

// The CLI changed the store (it said so on the wake socket, or the
// heartbeat saw data_version move): bring the clients and the scheduler up
// to date. Clients first: a schedule of a re-added connection must not
// start on the removed connection's session.
asio::awaitable<void> Server::notice_version(std::int64_t version) {
  const bool moved = seen_version_ >= 0 && version != seen_version_;
  seen_version_ = version;
  if (!moved) co_return;
  co_await connections_changed();
  co_await schedules_changed();
}

// Drops the Salesforce client of every connection removed or
// re-authorized, and syncs a connection added since, at once.
asio::awaitable<void> Server::connections_changed() {
  connection_orgs_.stale = true;
  auto dropped = co_await runtime_.clients.reload();
  if (!dropped.ok()) {
    log::warning("connections.reload_failed", {{"error", dropped.status().message()}});
  } else if (*dropped > 0) {
    log::notice("connections.changed", {{"count", static_cast<long>(*dropped)}});
  }
  sync_loop_.wake();
}

asio::awaitable<void> Server::store_changed() {
  auto version =
      co_await runtime_.store_thread.run([](store::Store& db) { return db.data_version(); });
  if (version.ok()) co_await notice_version(*version);
}

asio::awaitable<void> Server::heartbeat() {
  asio::steady_timer timer(io_);
  while (!stopping_) {
    state_.heartbeat_at_ms = now_ms();
    store::DaemonState s = state_;
    const bool check = beats_++ % checks_every_ == 0;  // the fallback of wakes and NOTIFY
    auto beat = [s, check](store::Store& db) -> Result<std::int64_t> {
      if (Status st = db.put_daemon_state(s); !st.ok()) return st;
      if (!check) return std::int64_t{-1};
      return db.data_version();
    };
    auto version = co_await runtime_.store_thread.run(std::move(beat));
    if (version.ok() && *version >= 0) co_await notice_version(*version);
    Status written = version.ok() ? Status() : version.status();
    if (written.ok() && cluster_.enabled()) written = co_await beat_cluster(false);
    if (written.ok() && cluster_.shared()) written = co_await share_api_usage();
    endpoint_.heartbeat(written);
    report_store(written);
    runtime_.clients.close_stale_connections();  // idle past max_idle_time: their memory back
    timer.expires_after(cluster_.interval());
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

// The store went from writable to failing (a full disk, an I/O error, a
// lock held too long) or back: said once per change, at error priority and
// in systemd's STATUS=; /healthz says it at every request. The heartbeat
// keeps writing every 5 s, so the daemon notices by itself when the store
// takes writes again.
void Server::report_store(const Status& written) {
  if (written.ok()) {
    if (store_error_.empty()) return;
    store_error_.clear();
    log::notice("store.recovered", {{"state", "the store takes writes again"}});
    sd_notify(0, "STATUS=running; the store takes writes again");
    return;
  }
  if (written.message() == store_error_) return;
  store_error_ = written.message();
  log::err("store.write_failed",
           {{"error", store_error_}, {"state", "unhealthy; the heartbeat tries again every 5 s"}});
  sd_notifyf(0, "STATUS=unhealthy: store write failed: %s", store_error_.c_str());
}

void Server::wait_signal() {
  signals_->async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      reload_config();
      wait_signal();
      return;
    }
    stop(sig == SIGTERM ? "SIGTERM" : "SIGINT");
  });
}

Status Server::apply(Config config) {
  config_ = std::move(config);
  runtime_.apply(config_);
  sync_loop_.apply(config_);
  return endpoint_.apply(config_);
}

void Server::reload_config() {
  sd_notifyf(
      0, "RELOADING=1\nMONOTONIC_USEC=%llu",
      static_cast<unsigned long long>(std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count()));
  // A bad new config keeps the old one and says why (DESIGN.md §5).
  Result<Config> next = env_.load_config ? env_.load_config() : Result<Config>(config_);
  if (!next.ok()) {
    log::err("serve.reload_failed",
             {{"error", next.status().message()}, {"state", "kept the previous config"}});
    sd_notifyf(0, "READY=1\nSTATUS=reload failed, kept the previous config: %s",
               next.status().message().c_str());
    return;
  }
  log::notice("serve.reload", {{"config", next->path.empty() ? "defaults" : next->path}});
  Status moved = apply(std::move(next).value());
  if (!moved.ok()) {
    // The endpoint keeps its old address (if it had one); the rest of the
    // new config applies.
    log::err("http.rebind_failed", {{"listen", config_.http_listen},
                                    {"error", moved.message()},
                                    {"state", "kept the previous listener"}});
    sd_notifyf(0,
               "READY=1\nSTATUS=config reloaded, but [http] listen %s failed, kept the "
               "previous listener: %s",
               config_.http_listen.c_str(), moved.message().c_str());
    return;
  }
  sd_notify(0, "READY=1\nSTATUS=running; config reloaded");
}

void Server::stop(const char* why) {
  if (stopping_) return;
  stopping_ = true;
  sd_notify(0, "STOPPING=1");
  endpoint_.stopping();
  log::notice("serve.stop",
              {{"signal", why}, {"count", static_cast<long>(runtime_.pipeline.active())}});
  scheduler_.stop();
  sync_loop_.stop();
  watchdog_.stop();
  take_over_timer_.cancel();
  wake_.close();
  feed_.stop();
  asio::co_spawn(io_, drain(), rethrow);
}

// Lets running runs finish, within a bound; what is cut off runs again
// after the next start (crash recovery).
asio::awaitable<void> Server::drain() {
  asio::steady_timer timer(io_);
  auto until = std::chrono::steady_clock::now() + kDrainBound;
  while ((runtime_.pipeline.active() > 0 || sync_loop_.active() > 0) &&
         std::chrono::steady_clock::now() < until) {
    timer.expires_after(std::chrono::milliseconds(100));
    co_await timer.async_wait(asio::use_awaitable);
  }
  state_.status = "stopped";
  (void)co_await record_state();
  if (cluster_.enabled()) (void)co_await beat_cluster(false);  // the node says it stopped
  io_.stop();
}

}  // namespace reportd::daemon
