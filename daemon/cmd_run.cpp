// reportd run NAME --now [--dry-run --out DIR]
#include <unistd.h>

#include <sys/stat.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <ostream>

#include "daemon/commands.hpp"
#include "daemon/runtime.hpp"
#include "daemon/time_text.hpp"
#include "jobs/sync/write_back.hpp"
#include "store/leases.hpp"

namespace asio = boost::asio;

namespace reportd::daemon {
namespace {

// co_spawn needs a result it can default-construct.
struct Finished {
  jobs::RunOutcome outcome;
  bool wrote_back = false;  // a write-back was attempted
  Result<sync::WriteBackResult> written = sync::WriteBackResult::kNotSynced;
};

// The run, then (unless `wb` is null: a dry run) the write-back onto the
// schedule's record that `serve` does after each run (SyncLoop::on_finished).
asio::awaitable<Finished> run_then_write_back(jobs::RunPipeline* pipeline, sync::WriteBack* wb,
                                              std::int64_t schedule_id, std::int64_t run_id) {
  Finished f;
  f.outcome = co_await pipeline->execute(run_id);
  if (wb != nullptr) {
    f.wrote_back = true;
    f.written = co_await wb->write(schedule_id, jobs::finished_run(f.outcome, schedule_id, run_id));
  }
  co_return f;
}

// Claims the occurrence at `now_ms`. Serve nodes take over unfinished runs
// whose lease expired (store/leases.hpp): this one is the CLI's until
// `lease_until_ms` (its deadline; the CLI has no heartbeat to renew it),
// taken in the claim's transaction.
Result<std::optional<std::int64_t>> claim_now(store::Store& store, std::int64_t schedule_id,
                                              std::int64_t now_ms, const char* reason,
                                              std::int64_t lease_until_ms) {
  Result<std::optional<std::int64_t>> claimed = std::optional<std::int64_t>();
  Status took = store.transaction([&](store::Store& s) -> Status {
    claimed = s.claim_occurrence(schedule_id, now_ms / 1000, store::RunState::kPending, reason, now_ms);
    if (!claimed.ok() || !claimed->has_value()) return claimed.ok() ? Status() : claimed.status();
    store::Leases* leases = store::leases_of(s);
    if (leases == nullptr) return Status();
    auto leased = leases->acquire_lease(claimed->value(), "cli-" + std::to_string(::getpid()),
                                        lease_until_ms);
    return leased.ok() ? Status() : leased.status();
  });
  if (!took.ok()) return took;
  return claimed;
}

}  // namespace

int cmd_run(Context& ctx) {
  if (!ctx.args.has("now")) {
    return ctx.fail(Status::error(ErrorKind::kInvalidArgument,
                                  "run needs --now (reportd runs schedules by their cron; "
                                  "--now runs one immediately)"));
  }
  std::string out_dir;
  if (ctx.args.has("dry-run")) {
    auto out = ctx.args.get("out");
    if (!out) {
      return ctx.fail(Status::error(ErrorKind::kInvalidArgument,
                                    "--dry-run needs --out DIR, where the outputs are written"));
    }
    struct stat st {};
    if (::stat(out->c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return ctx.fail(Status::error(ErrorKind::kInvalidArgument,
                                    "--out " + *out + " is not an existing directory"));
    }
    out_dir = *out;
  } else if (ctx.args.has("out")) {
    return ctx.fail(Status::error(ErrorKind::kInvalidArgument, "--out only goes with --dry-run"));
  }
  auto opened = ctx.open_all();
  if (!opened.ok()) return ctx.fail(opened.status());
  store::Store& store = *opened->store;
  auto schedule = store.find_schedule(ctx.args.words.at(1));
  if (!schedule.ok()) return ctx.fail(schedule.status());

  // The run is an occurrence like any other: claimed, recorded, disposed.
  std::int64_t now = now_ms();
  const std::int64_t lease_until = now + (opened->config.run_deadline_s + 60) * 1000;
  auto claimed = claim_now(store, schedule->id, now, out_dir.empty() ? "run --now" : "run --now --dry-run",
                           lease_until);
  if (!claimed.ok()) return ctx.fail(claimed.status());
  if (!claimed->has_value()) {
    return ctx.fail(Status::error(ErrorKind::kAlreadyExists,
                                  "an occurrence of " + schedule->name +
                                      " was claimed this very second; try again"));
  }
  asio::io_context io;
  Runtime runtime(io, opened->config, opened->keys, store, RunSetup{out_dir, false, {}});
  // A dry run delivers nothing, so it tells the record nothing either.
  const int budget = static_cast<int>(opened->config.api_budget_percent);
  sync::WriteBack write_back(runtime.store_thread, runtime.clients, runtime.clock, budget);
  Finished finished;
  asio::co_spawn(io,
                 run_then_write_back(&runtime.pipeline, out_dir.empty() ? &write_back : nullptr,
                                     schedule->id, claimed->value()),
                 [&](std::exception_ptr e, Finished f) {
                   if (e) std::rethrow_exception(e);
                   finished = std::move(f);
                 });
  io.run();
  const jobs::RunOutcome& outcome = finished.outcome;
  ctx.out << "run " << claimed->value() << " of " << schedule->name << ": "
          << store::to_string(outcome.state) << ", " << outcome.rows << " row(s)";
  if (!outcome.reason.empty()) ctx.out << "; " << outcome.reason;
  ctx.out << "\n";
  if (finished.wrote_back) {
    const auto& w = finished.written;
    if (!w.ok()) {
      // The run itself is recorded; only the record in Salesforce lags.
      ctx.err << "reportd: the status was not written back: " << w.status().message() << "\n";
    } else if (*w == sync::WriteBackResult::kWritten) {
      ctx.out << "status written back to " << schedule->sf_record_id << "\n";
    } else if (*w == sync::WriteBackResult::kSkippedBudget) {
      ctx.out << "status not written back to " << schedule->sf_record_id
              << ": the org's API usage is at or above [limits] api_budget_percent (" << budget
              << "%)\n";
    }
  }
  return outcome.state == store::RunState::kFailed ? 1 : 0;
}

}  // namespace reportd::daemon
