#include "daemon/sync_loop.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "daemon/log.hpp"

namespace asio = boost::asio;

namespace reportd::daemon {
namespace {

void log_report(const std::string& connection, const sync::SyncReport& r) {
  const bool news = r.changed() || r.patched > 0 || r.held > 0 || !r.invalid_records.empty() ||
                    !r.errors.empty() || !r.warnings.empty();
  // An unchanged sync (one query, nothing read that needs doing) is routine.
  log::write(news ? log::Priority::kInfo : log::Priority::kDebug, "sync.done",
             {{"connection", connection},
              {"records", static_cast<long>(r.records)},
              {"added", r.added},
              {"updated", r.updated},
              {"removed", r.removed},
              {"invalid", r.invalid},
              {"patched", r.patched},
              {"held", r.held},
              {"cursor", r.cursor}});
  for (const auto& [record, reason] : r.invalid_records) {
    log::warning("schedule.invalid",
                 {{"connection", connection}, {"record", record}, {"error", reason}});
  }
  for (const Status& e : r.errors) {
    log::warning("sync.partial", {{"connection", connection}, {"error", e.message()}});
  }
  for (const std::string& w : r.warnings) {
    log::warning("sync.warning", {{"connection", connection}, {"warning", w}});
  }
}

// The write-back of one run, logged; a free coroutine so that no capturing
// lambda is one (STYLE.md rule 16).
asio::awaitable<void> write_back(sync::WriteBack* wb, std::int64_t schedule_id, store::Run run) {
  auto r = co_await wb->write(schedule_id, std::move(run));
  if (!r.ok()) {
    log::warning("writeback.failed", {{"schedule", schedule_id}, {"error", r.status().message()}});
  } else if (*r == sync::WriteBackResult::kSkippedBudget) {
    log::notice("writeback.skipped", {{"schedule", schedule_id}, {"reason", "api-budget"}});
  } else if (*r == sync::WriteBackResult::kWritten) {
    log::write(log::Priority::kDebug, "writeback.done", {{"schedule", schedule_id}});
  }
}

}  // namespace

sync::SyncOptions sync_options(const Config& config) {
  sync::SyncOptions o;
  o.defaults.time_zone = config.default_tz;
  o.defaults.catchup_seconds = config.catchup_s;
  o.defaults.min_interval_seconds = config.min_interval_s;
  o.domains = domain_rules(config);
  o.api_budget_percent = static_cast<int>(config.api_budget_percent);
  o.max_schedules = static_cast<std::size_t>(config.sync_max_schedules_per_connection);
  return o;
}

SyncLoop::SyncLoop(asio::io_context& io, Runtime& runtime, const Config& config,
                   OnChanged on_changed)
    : io_(io),
      runtime_(runtime),
      interval_(config.sync_interval_minutes),
      options_(sync_options(config)),
      on_changed_(std::move(on_changed)),
      sync_(runtime.store_thread, runtime.clients, runtime.clock, sync_options(config)),
      write_back_(runtime.store_thread, runtime.clients, runtime.clock,
                  static_cast<int>(config.api_budget_percent)),
      timer_(io) {
  // A sync that finds a grant revoked marks the connection and mails the
  // re-auth notice, as a run does.
  sync_.set_notices(&runtime.notices);
}

void SyncLoop::apply(const Config& config) {
  interval_ = std::chrono::minutes(config.sync_interval_minutes);
  options_ = sync_options(config);  // set at the next sync: one pass, one set of options
  write_back_.set_api_budget_percent(static_cast<int>(config.api_budget_percent));
}

asio::awaitable<void> SyncLoop::run() {
  auto next_full = std::chrono::steady_clock::now();
  while (!stopped_) {
    const bool full = std::chrono::steady_clock::now() >= next_full;
    woken_ = false;
    co_await sync_all(!full);
    if (full) next_full = std::chrono::steady_clock::now() + interval_;
    if (stopped_) break;
    if (woken_) continue;  // woken while syncing
    timer_.expires_at(next_full);
    co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

void SyncLoop::stop() {
  stopped_ = true;
  timer_.cancel();
}

void SyncLoop::wake() {
  woken_ = true;
  timer_.cancel();
}

asio::awaitable<void> SyncLoop::sync_all(bool only_new) {
  sync_.set_options(options_);
  auto list = [](store::Store& s) { return s.list_connections(); };
  auto connections = co_await runtime_.store_thread.run(std::move(list));
  if (!connections.ok()) {
    log::warning("sync.failed", {{"error", connections.status().message()}});
    co_return;
  }
  bool changed = false;
  for (const store::Connection& c : *connections) {
    if (stopped_) break;
    // Its runs fail with that reason too; `connections reauth` brings it
    // back. A sync that finds the grant revoked marks it so: one token
    // request, then nothing until a person connects the org again.
    if (c.status != store::ConnectionStatus::kActive) continue;  // also org-mismatch
    if (only_new && synced_.count(c.id) > 0) continue;
    synced_.insert(c.id);
    auto mine = co_await begin(c);
    if (!mine) continue;
    auto report = co_await sync_.sync(c, false);
    auto end = [id = c.id](store::Store& s) { return s.end_sync(id); };
    (void)co_await runtime_.store_thread.run(std::move(end));
    if (!report.ok()) {
      // A failure that repeats every interval is logged once, then when it changes.
      std::string& last = last_error_[c.id];
      if (last != report.status().message()) {
        log::warning("sync.failed", {{"connection", c.name}, {"error", report.status().message()}});
        last = report.status().message();
      }
      continue;
    }
    if (last_error_.erase(c.id) > 0) log::notice("sync.recovered", {{"connection", c.name}});
    changed = changed || report->changed();
    log_report(c.name, *report);
  }
  // The daemon's own writes do not move the store's data_version, so the
  // heartbeat would not notice them: tell the scheduler here.
  if (changed && on_changed_) co_await on_changed_();
}

// One sync per connection across nodes (Store::begin_sync): a node syncs
// a connection unless another one is syncing it or synced it within half an
// interval, so with nodes in step or not, each round syncs it once.
asio::awaitable<bool> SyncLoop::begin(const store::Connection& c) {
  const std::int64_t id = c.id;
  const std::int64_t after =
      std::chrono::duration_cast<std::chrono::milliseconds>(
          runtime_.clock.wall_now().time_since_epoch() - std::chrono::milliseconds(interval_) / 2)
          .count();
  auto take = [id, after](store::Store& s) { return s.begin_sync(id, after); };
  auto mine = co_await runtime_.store_thread.run(std::move(take));
  if (!mine.ok()) {
    log::warning("sync.failed", {{"connection", c.name}, {"error", mine.status().message()}});
    co_return false;
  }
  if (!*mine) {
    log::write(log::Priority::kDebug, "sync.skipped",
               {{"connection", c.name}, {"reason", "another node syncs it this round"}});
  }
  co_return *mine;
}

void SyncLoop::on_finished(const jobs::FinishedRun& finished) {
  // A local schedule has no record to write to: no store lookup to find that out.
  if (finished.local_schedule) return;
  const std::int64_t schedule_id = finished.schedule_id;
  ++active_;
  asio::co_spawn(
      io_, write_back(&write_back_, schedule_id, finished.run),
      [this, schedule_id](std::exception_ptr error) {
        --active_;
        if (error) {
          log::err("writeback.failed", {{"schedule", schedule_id}, {"error", "internal error"}});
        }
      });
}

}  // namespace reportd::daemon
