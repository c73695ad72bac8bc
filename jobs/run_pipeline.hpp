#pragma once
// RunPipeline: carries one claimed occurrence through DESIGN.md §1 and §4.4:
// token -> source -> renderers -> condition -> deliveries -> dispose. The
// decisions (condition, final state, retries, API budget) are RunPolicy's
// (run_policy.hpp); this class only acts on them. Transient errors are
// retried with backoff on the injected Timer; the run's deadline cancels
// fetching and delivery when it passes (failed, code `deadline`). Every
// state change is committed through the store thread before the next side
// effect, so a run killed at any point runs again after a restart and skips
// what the delivery ledger shows as sent. A run that throws (a bug) is
// recorded failed ("internal error") at once. Each run is one coroutine on
// the event loop, spawned with a completion handler; never detached.
// Observers hear of every run that reaches a final state.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "jobs/api_provider.hpp"
#include "jobs/clock.hpp"
#include "jobs/deliver/mail_transport.hpp"
#include "jobs/deliver/mime.hpp"
#include "jobs/failure_notices.hpp"
#include "jobs/run_as.hpp"
#include "jobs/run_outputs.hpp"
#include "jobs/run_policy.hpp"
#include "jobs/schedule_check.hpp"
#include "jobs/scheduler.hpp"
#include "jobs/timer.hpp"
#include "store/offload_thread.hpp"
#include "store/store_thread.hpp"

namespace reportd::jobs {

struct BurstTally;    // jobs/burst.hpp
struct ScratchSteps;  // jobs/scratch_steps.hpp

struct PipelineOptions {
  std::chrono::seconds run_deadline{30 * 60};  // fetching and delivery end when it passes
  RunPolicyOptions policy;                     // retries and the API-budget threshold
  // Runs the scheduler started (serve): a schedule paused after its
  // occurrence was claimed ends the occurrence `cancelled`, and an org over
  // its API budget defers the run until the schedule's catch-up deadline.
  // Off for `run NAME --now`: it runs a paused schedule anyway, and an org
  // over budget records the run `missed` (api-budget) at once.
  bool scheduled = false;
  OutputOptions outputs;
  deliver::Address from;  // From of report emails
  DomainRules domains;    // the config's recipient domain lists, checked at each send
  RunAsRules run_as;      // the config's per-connection integration allowance
  // Dry run (`reportd run NAME --now --dry-run --out DIR`): write the outputs
  // into this directory, which the operator chose, instead of delivering.
  std::string dry_run_dir;
  // Several nodes on one store: a scheduled run starts only when the runs
  // going on every node leave room under these caps, counted in the
  // transaction that marks it running (Store::lock_running_counts); until
  // then it waits. 0: no such check (one node: the scheduler's counts hold).
  int cluster_org_limit = 0;
  int cluster_global_limit = 0;
  // With them: each run admitted holds cluster_scratch_step bytes of
  // cluster_scratch_budget, counted the same way, and takes more in steps
  // as its scratch grows (jobs/scratch_steps.hpp), up to its per-run cap,
  // until it ends, so all nodes' scratch together stays within the budget.
  std::int64_t cluster_scratch_budget = 0;
  std::int64_t cluster_scratch_step = 0;
};

// What a reloaded config (SIGHUP) changes in a running pipeline; the rest
// of PipelineOptions is fixed when it is built.
struct PipelineReload {
  deliver::Address from;        // From of report emails sent from now on
  int api_budget_percent = 90;  // RunPolicyOptions' threshold, for budget checks from now on
};

// Deliveries one execution of a run finished, per result.
struct DeliveryCount {
  std::int64_t sent = 0;
  std::int64_t failed = 0;
  std::int64_t refused = 0;  // recipients the allowed domains refused at send time
};
// By channel. Only deliveries this execution finished: a recovered run's
// earlier sends were counted by the process that made them.
using DeliveryCounts = std::map<store::DeliveryChannel, DeliveryCount>;

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
  DeliveryCounts deliveries;
  // Per mail recipient this execution sent: the relay's reply to the final
  // dot -> the ledger's `sent` committed (EmailResult::sent_commit_windows).
  std::vector<deliver::SentTiming> sent_commit_windows;
  // The schedule this execution loaded was a local one (not synced from
  // Salesforce: it has no record to write back to, and a schedule's origin
  // never changes). False when it was not loaded.
  bool local_schedule = false;
};

// The run's row as the callers of a finished run see it: the saved record
// with the outcome's state, reason and rows (they differ when the last save
// failed), and the ids filled in even when the run could not be loaded.
store::Run finished_run(const RunOutcome& outcome, std::int64_t schedule_id, std::int64_t run_id);

// A spawned run that reached a final state, as its observers hear of it.
struct FinishedRun {
  std::int64_t schedule_id = 0;
  // Its row as saved (id, nominal_s, state, reason, error_code, times, rows, bytes).
  store::Run run;
  DeliveryCounts deliveries;
  std::vector<deliver::SentTiming> sent_commit_windows;  // as RunOutcome's
  bool local_schedule = false;                           // as RunOutcome's
};

// Hears of runs as they end. Called on the pipeline's executor; must not block.
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  // A spawned run reached a final state. Exactly once per spawn.
  virtual void on_finished(const FinishedRun& finished) = 0;
  // The failure notices paused the schedule after one of its runs failed.
  virtual void on_paused(std::int64_t schedule_id) { (void)schedule_id; }
};

// What a pipeline works with; all of it outlives the pipeline.
struct PipelineDeps {
  store::StoreThread& store;
  ApiProvider& apis;
  Clock& clock;
  Timer& timer;  // backoff, API-budget waits and the run deadline
  // The mail transport for a delivery that starts now (SIGHUP may replace
  // it; the delivery holds the one it got to its end); empty or returning
  // null: runs with recipients fail with a reason.
  std::function<std::shared_ptr<deliver::MailTransport>()> mail;
  // Failure notices and auto-pause after each failed run; null: none.
  FailureNotices* notices = nullptr;
  std::vector<RunObserver*> observers;
  // Uniform in [0, 1), for the backoff's jitter; empty: a seeded PRNG.
  std::function<double()> random;
  // The master keys: the key of the change hash (`--when changed`) derives
  // from the primary one. Null: such schedules fail with code "no-key".
  const crypto::KeyRing* keys = nullptr;
};

class RunPipeline final : public Launcher {
 public:
  RunPipeline(boost::asio::any_io_executor executor, PipelineDeps deps, PipelineOptions options);

  // Launcher: spawns the run; the observers hear of it when it ends.
  void launch(const Launch& launch) override;
  // Whether this node still surely holds a run's lease (store::LeasedStore::
  // may_send), asked right before each mail leaves; empty: always.
  void set_lease_guard(std::function<bool(std::int64_t run_id)> guard) {
    lease_guard_ = std::move(guard);
  }
  // Replaces the config's recipient domain lists (SIGHUP).
  void set_domain_rules(DomainRules rules) { options_.domains = std::move(rules); }
  // Replaces the config's run-as rules (SIGHUP).
  void set_run_as_rules(RunAsRules rules) { options_.run_as = std::move(rules); }

  // Runs a claimed run to a final state and returns how it ended. Used by
  // spawn() and by `reportd run NAME --now`. Never throws for a bug in a
  // stage: the run is recorded failed with reason "internal error".
  boost::asio::awaitable<RunOutcome> execute(std::int64_t run_id);
  // Spawns execute() like launch() does, for an already-claimed run id.
  void spawn(std::int64_t schedule_id, std::int64_t run_id);
  // SIGHUP: applies to emails sent and API budgets checked from now on.
  void apply(const PipelineReload& reload);

  std::size_t active() const { return active_; }
  // The thread for CPU work (finishing XLSX, the zip fallback's deflate), for
  // tests that wait for it.
  boost::asio::any_io_executor cpu_executor() { return cpu_thread_.executor(); }

 private:
  struct Context;
  using Stage = boost::asio::awaitable<Status> (RunPipeline::*)(Context&);

  boost::asio::awaitable<RunOutcome> run(Context& ctx, std::int64_t run_id);
  boost::asio::awaitable<Status> load(Context& ctx, std::int64_t run_id);
  boost::asio::awaitable<bool> within_budget(Context& ctx);
  // run_admission.cpp: saves ctx.run as running once the cluster-wide caps
  // leave room for it.
  boost::asio::awaitable<Status> admit(Context& ctx);
  // The run's share of the nodes' scratch budget: at least `free` bytes
  // beside what its scratch holds now (scratch_steps.hpp); ok at once when
  // it holds none (one node, `run --now`).
  boost::asio::awaitable<Status> take_scratch(Context& ctx, std::uint64_t free);
  // Before a fetch attempt: back to one step, or to what the last attempt
  // showed it needs.
  boost::asio::awaitable<Status> restart_scratch(Context& ctx);
  // Between pages: room for twice what the last page added, at least half a step.
  boost::asio::awaitable<Status> pace_scratch(Context& ctx);
  // A fetch attempt that failed for its share: the next one starts larger.
  void note_scratch_failure(Context& ctx, const Status& st);
  ScratchSteps scratch_steps() const;
  boost::asio::awaitable<RunOutcome> finish(Context& ctx, const Status& status);
  boost::asio::awaitable<RunOutcome> record_crash(Context& ctx, std::int64_t run_id);
  boost::asio::awaitable<RunOutcome> end_unstarted(Context& ctx, store::RunState state,
                                                   std::string reason, std::string code);
  boost::asio::awaitable<Status> save(store::Run run);
  RunOutcome lease_lost(Context& ctx, const Status& why);
  void notify_finished(const FinishedRun& finished);

  // run_stages.cpp: the stages, the deadline around them and the retries.
  Status acquire(Context& ctx);
  boost::asio::awaitable<Status> bounded(Context& ctx, Stage stage, const char* what);
  boost::asio::awaitable<Status> guarded(Context& ctx, Stage stage);
  boost::asio::awaitable<Status> retrying(Context& ctx, Stage attempt, bool salesforce);
  boost::asio::awaitable<Status> fetch(Context& ctx);
  boost::asio::awaitable<Status> fetch_once(Context& ctx);
  // The report into `sink`; run as a user, checked against the report's
  // columns as the integration user sees them (ReportColumnCheck).
  boost::asio::awaitable<Status> fetch_report(Context& ctx, table::RowSink& sink);
  boost::asio::awaitable<Status> deliver(Context& ctx);
  // `--when changed`: compares the rows' hash with the one last sent
  // (sets `unchanged`), and stores it once the run sent.
  boost::asio::awaitable<Status> compare_change_hash(Context& ctx, bool& unchanged);
  boost::asio::awaitable<void> remember_change_hash(Context& ctx);
  boost::asio::awaitable<Status> files_once(Context& ctx);
  // run_burst.cpp: a burst schedule's stage, in place of fetch and deliver.
  boost::asio::awaitable<Status> burst(Context& ctx);
  boost::asio::awaitable<Status> burst_one(Context& ctx, salesforce::Api& lookup, std::string to,
                                           BurstTally& tally);
  boost::asio::awaitable<Status> email_once(Context& ctx);
  Status write_dry_run(Context& ctx);
  double random_unit();
  std::int64_t now_ms();

  boost::asio::any_io_executor executor_;
  PipelineDeps deps_;
  PipelineOptions options_;
  RunPolicy policy_;
  std::size_t active_ = 0;
  std::function<bool(std::int64_t)> lease_guard_;
  std::minstd_rand jitter_{std::random_device{}()};
  // CPU work off the event loop: finishing outputs (XLSX), the zip fallback.
  // Declared last: destroyed first, it waits for the work it still runs.
  store::OffloadThread cpu_thread_;
};

}  // namespace reportd::jobs
