#include "jobs/run_pipeline.hpp"

#include <algorithm>
#include <cstdio>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <date/tz.h>

#include "jobs/connections.hpp"
#include "jobs/deliver/email_delivery.hpp"
#include "jobs/next_fire.hpp"

namespace reportd::jobs {

namespace asio = boost::asio;
using store::RunState;

struct RunPipeline::Context {
  store::Run run;
  store::Schedule schedule;
  store::Connection connection;
  const date::time_zone* zone = nullptr;
  salesforce::Api* api = nullptr;
  // Keeps the org's client this run started with alive for the whole run,
  // even if another run or a sync forgets it meanwhile.
  std::shared_ptr<salesforce::Api> api_lease;
  std::unique_ptr<RunOutputs> outputs;
  Clock::SteadyTime deadline;
  bool marked_needs_reauth = false;
};

namespace {

bool retryable(const Status& st) {
  return st.kind() == ErrorKind::kTransient || st.kind() == ErrorKind::kLimit;
}

// The code stored with a failed run: Salesforce's errorCode or SMTP's, else
// the error's kind. Never a record value.
std::string code_of(const Status& st) {
  return st.code().empty() ? std::string(to_string(st.kind())) : st.code();
}

std::string default_subject(const store::Schedule& s, const date::time_zone* zone,
                            std::int64_t nominal_s) {
  auto day = date::make_zoned(zone, date::sys_seconds(std::chrono::seconds(nominal_s)));
  return s.name + " - " + date::format("%F", day);
}

RunOutcome outcome_of(const store::Run& record, RunState state, std::string reason) {
  RunOutcome o;
  o.state = state;
  o.reason = std::move(reason);
  o.rows = record.rows;
  o.record = record;
  return o;
}

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

RunPipeline::RunPipeline(asio::any_io_executor executor, StoreThread& store, ApiProvider& apis,
                         deliver::MailTransport* mail, Clock& clock, PipelineOptions options)
    : executor_(std::move(executor)),
      store_(store),
      apis_(apis),
      mail_(mail),
      clock_(clock),
      options_(std::move(options)) {}

std::int64_t RunPipeline::now_ms() {
  return clock_.wall_now().time_since_epoch().count();
}

void RunPipeline::launch(const Launch& launch) {
  spawn(launch.occurrence.schedule_id, launch.run_id);
}

void RunPipeline::spawn(std::int64_t schedule_id, std::int64_t run_id) {
  ++active_;
  asio::co_spawn(executor_, execute(run_id),
                 [this, schedule_id, run_id](std::exception_ptr error, RunOutcome outcome) {
                   --active_;
                   store::Run run = finished_run(outcome, schedule_id, run_id);
                   if (error) {
                     // execute() records its own failures; reaching here is a
                     // bug, and the run's row still says so at the next restart.
                     run.state = RunState::kFailed;
                     run.reason = "internal error";
                   }
                   if (on_finished_) on_finished_(schedule_id, run);
                 });
}

asio::awaitable<Status> RunPipeline::save(store::Run run) {
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary
  // inside a co_await expression twice.
  auto update = [run](store::Store& s) { return s.update_run(run); };
  co_return co_await store_.run(std::move(update));
}

asio::awaitable<bool> RunPipeline::backoff(Context& ctx, int attempt, const Status& why) {
  (void)why;
  auto base = options_.retry_initial * (1LL << std::min(attempt - 1, 16));
  auto capped = std::min<std::chrono::milliseconds>(
      std::chrono::duration_cast<std::chrono::milliseconds>(base), options_.retry_max);
  // Full jitter in [50%, 100%]: runs that failed together do not retry together.
  std::uniform_int_distribution<long long> pick(capped.count() / 2, capped.count());
  std::chrono::milliseconds delay(pick(jitter_));
  if (clock_.steady_now() + delay > ctx.deadline) co_return false;
  asio::steady_timer timer(executor_, delay);
  co_await timer.async_wait(asio::use_awaitable);
  co_return true;
}

asio::awaitable<RunOutcome> RunPipeline::execute(std::int64_t run_id) {
  Context ctx;
  struct Loaded {
    store::Run run;
    store::Schedule schedule;
    store::Connection connection;
  };
  auto load = [run_id](store::Store& s) -> Result<Loaded> {
    auto run = s.get_run(run_id);
    if (!run.ok()) return std::move(run).status();
    auto sched = s.get_schedule(run->schedule_id);
    if (!sched.ok()) return std::move(sched).status();
    auto conn = s.get_connection(sched->connection_id);
    if (!conn.ok()) return std::move(conn).status();
    return Loaded{*run, *sched, *conn};
  };
  auto loaded = co_await store_.run(std::move(load));
  if (!loaded.ok()) co_return outcome_of(ctx.run, RunState::kFailed, loaded.status().message());
  ctx.run = loaded->run;
  ctx.schedule = loaded->schedule;
  ctx.connection = loaded->connection;
  if (store::is_final(ctx.run.state)) co_return outcome_of(ctx.run, ctx.run.state, ctx.run.reason);
  if (honour_pause_ && ctx.schedule.paused && ctx.run.started_at_ms == 0) {
    // Paused after the scheduler claimed this occurrence (an automatic pause
    // reaches the scheduler a moment later): nothing is fetched or sent. A
    // run that had started before a crash is finished instead, so that no
    // recipient is left with half of an occurrence's deliveries.
    ctx.run.state = RunState::kCancelled;
    ctx.run.reason = "the schedule is paused: " + ctx.schedule.pause_reason;
    ctx.run.finished_at_ms = now_ms();
    ctx.run.disposed_at_ms = ctx.run.finished_at_ms;
    if (Status st = co_await save(ctx.run); !st.ok()) {
      co_return outcome_of(ctx.run, RunState::kFailed, st.message());
    }
    co_return outcome_of(ctx.run, ctx.run.state, ctx.run.reason);
  }

  ctx.run.state = RunState::kRunning;
  ctx.run.attempt += 1;
  ctx.run.reason.clear();
  ctx.run.error_code.clear();
  if (ctx.run.started_at_ms == 0) ctx.run.started_at_ms = now_ms();
  if (Status st = co_await save(ctx.run); !st.ok()) {
    co_return outcome_of(ctx.run, RunState::kFailed, st.message());
  }
  ctx.deadline = clock_.steady_now() + options_.run_deadline;

  Status st = co_await fetch(ctx);
  bool skipped = false;
  if (st.ok()) {
    const render::HtmlSummary& summary = ctx.outputs->summary();
    ctx.run.rows = static_cast<std::int64_t>(summary.total_rows());
    ctx.run.truncated = summary.any_truncated();
    ctx.run.bytes = static_cast<std::int64_t>(ctx.outputs->bytes());
    if (ctx.run.rows == 0 && !ctx.schedule.send_when_empty) {
      skipped = true;
      ctx.run.reason = "no rows, and send-when-empty is off";
    } else if (ctx.run.rows < ctx.schedule.min_rows) {
      skipped = true;
      ctx.run.reason = std::to_string(ctx.run.rows) + " rows, fewer than the minimum of " +
                       std::to_string(ctx.schedule.min_rows);
    } else {
      ctx.run.state = RunState::kDelivering;
      st = co_await save(ctx.run);
      if (st.ok()) st = co_await deliver(ctx);
    }
  }

  // Dispose first, whatever the outcome, then record it (DESIGN.md §4.5).
  if (ctx.outputs) ctx.outputs->dispose();
  ctx.outputs.reset();
  std::int64_t now = now_ms();
  ctx.run.disposed_at_ms = now;
  ctx.run.finished_at_ms = now;
  if (!st.ok()) {
    ctx.run.state = RunState::kFailed;
    ctx.run.reason = st.message();
    ctx.run.error_code = code_of(st);
  } else {
    ctx.run.state = skipped ? RunState::kSkipped : RunState::kSucceeded;
    if (!skipped && ctx.run.truncated && ctx.run.reason.empty()) {
      ctx.run.reason = "the Reports API returned only the first 2,000 rows (flagged in the email)";
    }
  }
  RunOutcome outcome;
  outcome.state = ctx.run.state;
  outcome.reason = ctx.run.reason;
  outcome.rows = ctx.run.rows;
  outcome.marked_needs_reauth = ctx.marked_needs_reauth;
  if (Status saved = co_await save(ctx.run); !saved.ok()) {
    outcome.state = RunState::kFailed;
    outcome.reason = saved.message();
  }
  outcome.record = ctx.run;
  if (notices_ != nullptr && outcome.state == RunState::kFailed) {
    NoticeOutcome told = co_await notices_->run_finished(ctx.run, ctx.marked_needs_reauth, now_ms());
    if (told.paused && on_paused_) on_paused_(ctx.run.schedule_id);
    outcome.notices = std::move(told);
  }
  co_return outcome;
}

asio::awaitable<Status> RunPipeline::fetch(Context& ctx) {
  const store::Connection& c = ctx.connection;
  if (Status st = usable(c); !st.ok()) co_return st;
  auto zone = find_zone(ctx.schedule.tz);
  if (!zone.ok()) co_return zone.status();
  ctx.zone = *zone;
  auto api = apis_.lease(c);
  if (!api.ok()) co_return api.status();
  ctx.api_lease = std::move(api).value();
  ctx.api = ctx.api_lease.get();
  if (auto usage = ctx.api->api_usage(); usage && usage->limit > 0 &&
                                         usage->used * 100 >= usage->limit * options_.api_budget_percent) {
    co_return Status::error(ErrorKind::kLimit,
                            "API budget guard: the org has used " + std::to_string(usage->used) +
                                " of " + std::to_string(usage->limit) + " daily API calls (limit " +
                                std::to_string(options_.api_budget_percent) + "%)",
                            "api-budget");
  }

  for (int attempt = 1;; ++attempt) {
    ctx.outputs.reset();  // a retry starts from empty outputs
    auto outputs = RunOutputs::create(ctx.schedule, ctx.zone, options_.outputs);
    if (!outputs.ok()) co_return outputs.status();
    ctx.outputs = std::move(outputs).value();
    table::RowSink& sink = ctx.outputs->sink();
    Status st;
    switch (ctx.schedule.source_kind) {
      case store::SourceKind::kSoql:
        st = co_await ctx.api->query(ctx.schedule.source, false, sink);
        break;
      case store::SourceKind::kReport:
        st = co_await ctx.api->run_report(ctx.schedule.source, sink);
        break;
      case store::SourceKind::kBulk:
        st = co_await ctx.api->bulk_query(ctx.schedule.source, sink);
        break;
    }
    if (st.ok()) {
      // Closing the workbook compresses the whole sheet: seconds for a large
      // report, so off the event loop (the run waits; other runs do not).
      RunOutputs* outputs_ptr = ctx.outputs.get();
      auto finish = [outputs_ptr] { return outputs_ptr->finish(); };
      st = co_await render_thread_.run(std::move(finish));
    }
    if (st.ok()) co_return st;
    if (st.kind() == ErrorKind::kAuth) {
      // invalid_grant and friends: a person must reconnect the org; nothing
      // retries in a loop (DESIGN.md §4.4).
      Result<bool> marked = co_await mark_needs_reauth(store_, c.id, st.message());
      ctx.marked_needs_reauth = marked.ok() && *marked;
      apis_.forget(c.id);
      co_return st;
    }
    if (!retryable(st)) co_return st;
    if (!co_await backoff(ctx, attempt, st)) {
      co_return std::move(st).with_context("gave up after " + std::to_string(attempt) +
                                           " attempts within the run deadline");
    }
  }
}

Status RunPipeline::write_dry_run(Context& ctx) {
  auto refs = ctx.outputs->refs();
  if (!refs.ok()) return refs.status();
  for (const deliver::OutputRef& r : *refs) {
    std::string path = options_.dry_run_dir + "/" + r.filename;
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) {
      return Status::error(ErrorKind::kIo, "dry run: cannot write " + path);
    }
    bool ok = std::fwrite(r.bytes.data(), 1, r.bytes.size(), f) == r.bytes.size();
    ok = std::fclose(f) == 0 && ok;
    if (!ok) return Status::error(ErrorKind::kIo, "dry run: cannot write " + path);
  }
  ctx.run.reason = "dry run: " + std::to_string(refs->size()) + " file(s) written to " +
                   options_.dry_run_dir + "; nothing delivered";
  return {};
}

asio::awaitable<Status> RunPipeline::deliver(Context& ctx) {
  if (!options_.dry_run_dir.empty()) co_return write_dry_run(ctx);
  auto refs = ctx.outputs->refs();
  if (!refs.ok()) co_return refs.status();
  deliver::ExecutorRunner runner(store_.executor());
  deliver::ExecutorRunner cpu(render_thread_.executor());  // the zip fallback
  const store::Schedule& s = ctx.schedule;

  if (!s.files_target.empty()) {
    for (int attempt = 1;; ++attempt) {
      deliver::FilesJob job{ctx.run.id, s.files_target, *refs, now_ms()};
      auto r = co_await deliver::deliver_files(store_.store(), runner, *ctx.api, job, "files");
      if (r.ok()) break;
      if (!retryable(r.status()) || !co_await backoff(ctx, attempt, r.status())) {
        co_return r.status();
      }
    }
  }
  if (s.recipients.empty()) co_return Status();
  if (mail_ == nullptr) {
    co_return Status::error(ErrorKind::kPermanent,
                            "no mail relay is configured: add an [smtp] table to the config "
                            "file (see README.md, \"Mail\")",
                            "no-smtp");
  }
  for (int attempt = 1;; ++attempt) {
    deliver::EmailJob job;
    job.run_id = ctx.run.id;
    job.occurrence_key = std::to_string(s.id) + "@" + std::to_string(ctx.run.nominal_s);
    job.recipients = s.recipients;
    job.from = options_.from;
    job.subject = s.subject.empty() ? default_subject(s, ctx.zone, ctx.run.nominal_s) : s.subject;
    job.now_ms = now_ms();
    job.summary.schedule_name = s.name;
    job.summary.run_time_ms = ctx.run.nominal_s * 1000;
    job.summary.tz = ctx.zone;
    job.tables = &ctx.outputs->summary();
    job.outputs = *refs;
    job.files_api = ctx.api;
    job.files_target = s.files_target;
    job.instance_url = ctx.connection.instance_url;
    job.cpu = &cpu;
    auto r = co_await deliver::deliver_email(store_.store(), runner, *mail_,
                                             ctx.outputs->scratch(), std::move(job));
    if (r.ok()) co_return Status();
    if (!retryable(r.status()) || !co_await backoff(ctx, attempt, r.status())) {
      co_return r.status();
    }
  }
}

}  // namespace reportd::jobs
