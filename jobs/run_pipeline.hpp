#pragma once
// RunPipeline: carries one claimed occurrence through DESIGN.md §1 and §4.4:
// token -> source -> renderers -> condition -> deliveries -> dispose, with
// transient errors retried (exponential backoff, jitter) inside the run's
// deadline. Every state change is committed through the store thread before
// the next side effect, so a run killed at any point runs again after a
// restart and skips what the delivery ledger shows as sent. Each run is one
// coroutine on the event loop, spawned with a completion handler that records
// a crash as a failed run; never detached.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "jobs/api_provider.hpp"
#include "jobs/clock.hpp"
#include "jobs/deliver/mail_transport.hpp"
#include "jobs/deliver/mime.hpp"
#include "jobs/deliver/blocking_runner.hpp"
#include "jobs/failure_notices.hpp"
#include "jobs/offload_thread.hpp"
#include "jobs/run_outputs.hpp"
#include "jobs/schedule_check.hpp"
#include "jobs/scheduler.hpp"
#include "jobs/store_thread.hpp"

namespace reportd::jobs {

struct PipelineOptions {
  std::chrono::seconds run_deadline{30 * 60};
  std::chrono::milliseconds retry_initial{2000};  // first backoff; doubles, with jitter
  std::chrono::milliseconds retry_max{60'000};
  int api_budget_percent = 90;  // skip a run while the org's API usage is above this
  OutputOptions outputs;
  deliver::Address from;  // From of report emails
  DomainRules domains;    // the config's recipient domain lists, checked at each send
  // Dry run (`reportd run NAME --now --dry-run --out DIR`): write the outputs
  // into this directory, which the operator chose, instead of delivering.
  std::string dry_run_dir;
};

// What a finished run looked like, for the caller (CLI `run --now`, tests).
struct RunOutcome {
  store::RunState state = store::RunState::kFailed;
  std::string reason;
  std::int64_t rows = 0;
  // The run's row as last saved (id, nominal_s, times, counts, error_code);
  // id 0 when the run could not even be loaded.
  store::Run record;
  // This run found the connection's grant revoked and marked it needs-reauth.
  bool marked_needs_reauth = false;
  // What the failure notices did (paused the schedule, mailed whom).
  NoticeOutcome notices;
};

// The run's row as the callers of a finished run see it: the saved record
// with the outcome's state, reason and rows (they differ when the last save
// failed), and the ids filled in even when the run could not be loaded.
store::Run finished_run(const RunOutcome& outcome, std::int64_t schedule_id, std::int64_t run_id);

// Called after a run reaches a final state, with the schedule and the run's
// row as saved (id, nominal_s, state, reason, error_code, times, rows, bytes).
using RunFinished = std::function<void(std::int64_t schedule_id, const store::Run& run)>;

class RunPipeline final : public Launcher {
 public:
  // `mail` may be null: runs with recipients then fail with a clear reason.
  RunPipeline(boost::asio::any_io_executor executor, StoreThread& store, ApiProvider& apis,
              deliver::MailTransport* mail, Clock& clock, PipelineOptions options);

  // Launcher: spawns the run; `on_finished` hears of it when it ends.
  void launch(const Launch& launch) override;
  void set_on_finished(RunFinished f) { on_finished_ = std::move(f); }
  // Replaces the mail transport (SIGHUP with a new [smtp] table); may be null.
  void set_mail(deliver::MailTransport* mail) { mail_ = mail; }
  // Replaces the config's recipient domain lists (SIGHUP).
  void set_domain_rules(DomainRules rules) { options_.domains = std::move(rules); }
  // Scheduled runs of a schedule paused after its occurrence was claimed end
  // as cancelled (serve). Off by default: `run NAME --now` runs it anyway.
  void set_honour_pause(bool on) { honour_pause_ = on; }
  // Failure notices and auto-pause after each failed run (null: none);
  // `on_paused` hears of a schedule paused that way, so the scheduler drops it.
  void set_notices(FailureNotices* notices, std::function<void(std::int64_t schedule_id)> on_paused) {
    notices_ = notices;
    on_paused_ = std::move(on_paused);
  }

  // Runs a claimed run to a final state and returns how it ended. Used by
  // launch(), by crash recovery and by `reportd run NAME --now`.
  boost::asio::awaitable<RunOutcome> execute(std::int64_t run_id);
  // Spawns execute() like launch() does, for an already-claimed run id.
  void spawn(std::int64_t schedule_id, std::int64_t run_id);

  std::size_t active() const { return active_; }

 private:
  struct Context;
  boost::asio::awaitable<Status> fetch(Context& ctx);
  boost::asio::awaitable<Status> deliver(Context& ctx);
  Status write_dry_run(Context& ctx);
  boost::asio::awaitable<bool> backoff(Context& ctx, int attempt, const Status& why);
  boost::asio::awaitable<Status> save(store::Run run);
  std::int64_t now_ms();

  boost::asio::any_io_executor executor_;
  StoreThread& store_;
  ApiProvider& apis_;
  deliver::MailTransport* mail_;
  Clock& clock_;
  PipelineOptions options_;
  RunFinished on_finished_;
  FailureNotices* notices_ = nullptr;
  std::function<void(std::int64_t)> on_paused_;
  bool honour_pause_ = false;
  std::size_t active_ = 0;
  std::minstd_rand jitter_{std::random_device{}()};
  OffloadThread render_thread_;  // finishes outputs (XLSX, zip) off the event loop
};

}  // namespace reportd::jobs
