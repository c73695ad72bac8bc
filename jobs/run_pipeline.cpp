#include "jobs/run_pipeline.hpp"

#include <boost/asio/co_spawn.hpp>

#include "jobs/connections.hpp"
#include "jobs/next_fire.hpp"
#include "jobs/run_context.hpp"
#include "store/leases.hpp"

namespace reportd::jobs {

namespace asio = boost::asio;
using store::RunState;

namespace {

constexpr std::chrono::milliseconds kSaveRetryFirst{1000};
constexpr std::chrono::milliseconds kSaveRetryMax{30000};

// The one way an outcome is built: the run's row as it was to be saved;
// `saved` is how saving it went (a failed save makes the outcome failed).
RunOutcome outcome_of(const store::Run& run, bool marked_needs_reauth, const Status& saved) {
  RunOutcome o;
  o.state = run.state;
  o.reason = run.reason;
  o.rows = run.rows;
  o.record = run;
  o.marked_needs_reauth = marked_needs_reauth;
  if (!saved.ok()) {
    o.state = RunState::kFailed;
    o.reason = saved.message();
  }
  return o;
}

// Saves a run's final row and counts the deliveries finished since
// `since_ms` (by this execution), in one hop to the store thread. A named
// function object: see save().
struct SaveFinal {
  store::Run run;
  std::int64_t since_ms = 0;
  Result<DeliveryCounts> operator()(store::Store& s) const {
    if (Status st = s.update_run(run); !st.ok()) return st;
    DeliveryCounts counts;
    auto deliveries = s.list_deliveries(run.id);
    if (!deliveries.ok()) return counts;  // only metrics miss them
    for (const store::Delivery& d : *deliveries) {
      if (d.updated_at_ms < since_ms) continue;
      if (d.state == store::DeliveryState::kSent) ++counts[d.channel].sent;
      if (d.state == store::DeliveryState::kFailed) ++counts[d.channel].failed;
      if (d.state == store::DeliveryState::kRefused) ++counts[d.channel].refused;
    }
    return counts;
  }
};

}  // namespace

store::Run finished_run(const RunOutcome& outcome, std::int64_t schedule_id, std::int64_t run_id) {
  store::Run run = outcome.record;
  run.id = run_id;
  run.schedule_id = schedule_id;
  run.state = outcome.state;
  run.reason = outcome.reason;
  run.rows = outcome.rows;
  return run;
}

RunPipeline::RunPipeline(asio::any_io_executor executor, PipelineDeps deps, PipelineOptions options)
    : executor_(std::move(executor)),
      deps_(std::move(deps)),
      options_(std::move(options)),
      policy_(options_.policy) {}

std::int64_t RunPipeline::now_ms() { return deps_.clock.wall_now().time_since_epoch().count(); }

double RunPipeline::random_unit() {
  if (deps_.random) return deps_.random();
  return std::uniform_real_distribution<double>(0.0, 1.0)(jitter_);
}

void RunPipeline::apply(const PipelineReload& reload) {
  options_.from = reload.from;
  options_.policy.api_budget_percent = reload.api_budget_percent;
  policy_ = RunPolicy(options_.policy);
}

void RunPipeline::launch(const Launch& launch) {
  spawn(launch.occurrence.schedule_id, launch.run_id);
}

void RunPipeline::spawn(std::int64_t schedule_id, std::int64_t run_id) {
  ++active_;
  asio::co_spawn(executor_, execute(run_id),
                 [this, schedule_id, run_id](std::exception_ptr error, RunOutcome outcome) {
                   --active_;
                   FinishedRun finished{schedule_id, finished_run(outcome, schedule_id, run_id),
                                        std::move(outcome.deliveries),
                                        std::move(outcome.sent_commit_windows),
                                        !error && outcome.local_schedule};
                   if (error) {
                     // execute() records a crash itself; only a failing store
                     // gets here, and the row is finished at the next restart.
                     finished.run.state = RunState::kFailed;
                     finished.run.reason = "internal error";
                   }
                   notify_finished(finished);
                 });
}

void RunPipeline::notify_finished(const FinishedRun& finished) {
  for (RunObserver* o : deps_.observers) o->on_finished(finished);
}

// Another node took the run over (store/leased_store.hpp refused a write):
// this execution stops with nothing more committed or sent. No final row,
// no notices; the outcome says kLeaseLost so that serve tells nobody.
RunOutcome RunPipeline::lease_lost(Context& ctx, const Status& why) {
  ctx.run.error_code = store::kLeaseLost;
  RunOutcome outcome = outcome_of(ctx.run, false, why);
  outcome.record.error_code = store::kLeaseLost;
  outcome.sent_commit_windows = std::move(ctx.sent_commit_windows);
  return outcome;
}

asio::awaitable<Status> RunPipeline::save(store::Run run) {
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary
  // inside a co_await expression twice.
  auto update = [run](store::Store& s) { return s.update_run(run); };
  co_return co_await deps_.store.run(std::move(update));
}

asio::awaitable<RunOutcome> RunPipeline::execute(std::int64_t run_id) {
  Context ctx;
  ctx.began_ms = now_ms();
  RunOutcome outcome;
  bool crashed = false;
  try {
    outcome = co_await run(ctx, run_id);
  } catch (...) {
    // A bug (an exception is never how a stage reports an error). The
    // outcome is recorded below: no co_await inside a handler.
    crashed = true;
  }
  if (crashed) outcome = co_await record_crash(ctx, run_id);
  outcome.local_schedule =
      ctx.schedule.id != 0 && ctx.schedule.origin == store::ScheduleOrigin::kLocal;
  co_return outcome;
}

asio::awaitable<RunOutcome> RunPipeline::record_crash(Context& ctx, std::int64_t run_id) {
  if (ctx.outputs) ctx.outputs->dispose();
  auto get = [run_id](store::Store& s) { return s.get_run(run_id); };
  auto row = co_await deps_.store.run(std::move(get));
  if (row.ok()) ctx.run = *row;
  ctx.condition.reset();
  co_return co_await finish(ctx, Status::error(ErrorKind::kInternal, "internal error", "internal"));
}

asio::awaitable<Status> RunPipeline::load(Context& ctx, std::int64_t run_id) {
  struct Loaded {
    store::Run run;
    store::Schedule schedule;
    store::Connection connection;
  };
  auto get = [run_id](store::Store& s) -> Result<Loaded> {
    auto run = s.get_run(run_id);
    if (!run.ok()) return std::move(run).status();
    auto sched = s.get_schedule(run->schedule_id);
    if (!sched.ok()) return std::move(sched).status();
    auto conn = s.get_connection(sched->connection_id);
    if (!conn.ok()) return std::move(conn).status();
    return Loaded{*run, *sched, *conn};
  };
  auto loaded = co_await deps_.store.run(std::move(get));
  if (!loaded.ok()) co_return loaded.status();
  ctx.run = loaded->run;
  ctx.schedule = loaded->schedule;
  ctx.connection = loaded->connection;
  co_return Status();
}

asio::awaitable<RunOutcome> RunPipeline::run(Context& ctx, std::int64_t run_id) {
  if (Status st = co_await load(ctx, run_id); !st.ok()) co_return outcome_of(ctx.run, false, st);
  if (store::is_final(ctx.run.state)) co_return outcome_of(ctx.run, false, Status());
  if (options_.scheduled && ctx.schedule.paused && ctx.run.started_at_ms == 0) {
    // Paused after the scheduler claimed this occurrence (an automatic pause
    // reaches the scheduler a moment later): nothing is fetched or sent. A
    // run that had started before a crash is finished instead, so that no
    // recipient is left with half of an occurrence's deliveries.
    co_return co_await end_unstarted(ctx, RunState::kCancelled,
                                     "the schedule is paused: " + ctx.schedule.pause_reason, {});
  }
  Status st = acquire(ctx);
  if (st.ok() && ctx.run.started_at_ms == 0) {
    const bool go = co_await within_budget(ctx);
    if (!go) co_return co_await end_unstarted(ctx, RunState::kMissed, ctx.run.reason, "api-budget");
  }

  ctx.run.state = RunState::kRunning;
  ctx.run.attempt += 1;
  ctx.run.reason.clear();
  ctx.run.error_code.clear();
  // A run taken over or recovered started before: it counts already.
  const bool admitting = ctx.run.started_at_ms == 0 && options_.cluster_global_limit > 0;
  if (ctx.run.started_at_ms == 0) ctx.run.started_at_ms = now_ms();
  Status saved;
  if (admitting) {
    saved = co_await admit(ctx);
  } else {
    saved = co_await save(ctx.run);
  }
  if (!saved.ok()) co_return co_await finish(ctx, saved);
  ctx.deadline = deps_.clock.steady_now() + options_.run_deadline;

  // Bursting is a stage of its own: it fetches and delivers per recipient.
  const bool bursting = ctx.schedule.burst;
  if (st.ok())
    st = co_await bounded(ctx, bursting ? &RunPipeline::burst : &RunPipeline::fetch,
                          bursting ? "bursting" : "fetching");
  if (st.ok() && !bursting) {
    const render::HtmlSummary& summary = ctx.outputs->summary();
    ctx.run.rows = static_cast<std::int64_t>(summary.total_rows());
    ctx.run.truncated = summary.any_truncated();
    ctx.run.bytes = static_cast<std::int64_t>(ctx.outputs->bytes());
    bool unchanged = false;
    st = co_await compare_change_hash(ctx, unchanged);
    if (st.ok()) {
      ctx.condition = RunPolicy::condition(ctx.run.rows, ctx.schedule.send_when_empty,
                                           ctx.schedule.min_rows, unchanged);
    }
    if (st.ok() && ctx.condition->deliver) {
      ctx.run.state = RunState::kDelivering;
      st = co_await save(ctx.run);
      if (st.ok()) st = co_await bounded(ctx, &RunPipeline::deliver, "delivering");
      if (st.ok()) co_await remember_change_hash(ctx);
    }
  }
  co_return co_await finish(ctx, st);
}

// The API-budget guard (DESIGN.md §4.3): while the org's usage is at or above
// the threshold, a scheduled run waits, looking at the usage again as the
// org's other calls (syncs, other runs) learn it, until the occurrence's
// catch-up deadline. False: past it (or `run --now`), with ctx.run.reason set.
asio::awaitable<bool> RunPipeline::within_budget(Context& ctx) {
  const std::int64_t until_ms =
      options_.scheduled ? (ctx.run.nominal_s + ctx.schedule.catchup_seconds) * 1000 : 0;
  for (;;) {
    // The org's allocation, whoever spent it (a user client may know nothing yet).
    auto usage = deps_.apis.org_usage(ctx.connection.id);
    if (!usage) usage = ctx.api->api_usage();
    BudgetDecision d = policy_.budget(usage, now_ms(), until_ms);
    if (d.action == BudgetDecision::kRun) co_return true;
    if (d.action == BudgetDecision::kMiss) {
      ctx.run.reason = std::move(d.reason);
      co_return false;
    }
    co_await deps_.timer.wait(d.wait);
    // The schedule may have been paused meanwhile.
    if (Status st = co_await load(ctx, ctx.run.id); !st.ok()) co_return true;  // fails below
    if (ctx.schedule.paused) {
      ctx.run.reason = "the schedule is paused: " + ctx.schedule.pause_reason;
      co_return false;
    }
  }
}

// Ends a run that never started (cancelled, or missed for the API budget).
asio::awaitable<RunOutcome> RunPipeline::end_unstarted(Context& ctx, RunState state,
                                                       std::string reason, std::string code) {
  if (ctx.schedule.paused && state == RunState::kMissed) {
    state = RunState::kCancelled;  // paused while it waited for the budget
    code.clear();
  }
  ctx.run.state = state;
  ctx.run.reason = std::move(reason);
  ctx.run.error_code = std::move(code);
  ctx.run.finished_at_ms = now_ms();
  ctx.run.disposed_at_ms = ctx.run.finished_at_ms;
  Status saved = co_await save(ctx.run);
  if (store::is_lease_lost(saved)) co_return lease_lost(ctx, saved);
  co_return outcome_of(ctx.run, false, saved);
}

// Disposes the outputs, records the final state and tells the notices: the
// one way an outcome is built for a run that started.
asio::awaitable<RunOutcome> RunPipeline::finish(Context& ctx, const Status& status) {
  std::string note = status.ok() ? ctx.run.reason : std::string();  // a dry run's summary
  if (ctx.outputs) ctx.outputs->dispose();  // first, whatever the outcome (DESIGN.md §4.5)
  ctx.outputs.reset();
  const std::int64_t now = now_ms();
  ctx.run.disposed_at_ms = now;
  ctx.run.finished_at_ms = now;
  const Condition* condition = ctx.condition ? &*ctx.condition : nullptr;
  FinalState final_state = RunPolicy::final_state(status, condition, ctx.run.truncated, note);
  ctx.run.state = final_state.state;
  ctx.run.scratch_reserved = 0;  // its share of the nodes' scratch budget goes back
  ctx.run.reason = std::move(final_state.reason);
  ctx.run.error_code = std::move(final_state.error_code);

  if (store::is_lease_lost(status)) co_return lease_lost(ctx, status);
  SaveFinal save_final{ctx.run, ctx.began_ms};  // named: see save()
  auto saved = co_await deps_.store.run(save_final);
  if (!saved.ok() && store::is_lease_lost(saved.status()))
    co_return lease_lost(ctx, saved.status());
  // The store failed to take the final row (a full disk, an I/O error; the
  // heartbeat reports it): save it again, backing off, until it takes it,
  // so a run never stays unfinished while the daemon lives. A stop waits
  // for it no longer than its drain bound; the next start then finishes the
  // row (crash recovery).
  for (std::chrono::milliseconds delay = kSaveRetryFirst;
       !saved.ok() && saved.status().kind() == ErrorKind::kIo;
       delay = std::min(delay * 2, kSaveRetryMax)) {
    if (!co_await deps_.timer.wait(delay)) break;
    saved = co_await deps_.store.run(save_final);
  }
  RunOutcome outcome =
      outcome_of(ctx.run, ctx.marked_needs_reauth, saved.ok() ? Status() : saved.status());
  if (saved.ok()) outcome.deliveries = std::move(saved).value();
  outcome.sent_commit_windows = std::move(ctx.sent_commit_windows);
  if (deps_.notices != nullptr && outcome.state == RunState::kFailed && ctx.run.id != 0) {
    outcome.notices =
        co_await deps_.notices->run_finished(ctx.run, ctx.marked_needs_reauth, now_ms());
    if (outcome.notices.paused) {
      for (RunObserver* o : deps_.observers) o->on_paused(ctx.run.schedule_id);
    }
  }
  co_return outcome;
}

}  // namespace reportd::jobs
