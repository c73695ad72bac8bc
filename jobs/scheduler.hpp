#pragma once
// Scheduler: the short async loop around SchedulerCore. One steady_timer
// sleeps until the earliest due occurrence, or options.max_sleep at most
// (so a wall-clock step is noticed); each wake decides, claims through the
// store thread, and hands claimed occurrences to the Launcher. It owns the
// one copy of the active schedules and the one way to bring it up to date
// with the store: load() once, then reload() whenever the store changed
// (daemon::Server::schedules_changed()). Lives on one executor (the
// daemon's io_context); all calls there.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "jobs/clock.hpp"
#include "jobs/scheduler_core.hpp"
#include "store/store_thread.hpp"
#include "table/status.hpp"

namespace reportd::jobs {

// Starts runs. RunPipeline (run_pipeline.hpp) implements it.
class Launcher {
 public:
  virtual ~Launcher() = default;
  // Called on the scheduler's executor for an occurrence claimed as kPending
  // (run id `launch.run_id`). Must not block. Whatever the run's outcome,
  // Scheduler::run_finished(schedule id) must then be called exactly once
  // (serve does it from its RunObserver).
  virtual void launch(const Launch& launch) = 0;
};

// The fields of an active schedule that decide when it fires: what reload()
// compares, kept per schedule instead of the whole record.
struct ScheduleTiming {
  std::string cron_and_tz;  // cron, '\n', zone name: one allocation at most
  std::int64_t connection_id = 0;
  std::int64_t catchup_seconds = 0;
  std::int64_t splay_seconds = 0;
  std::int64_t min_interval_seconds = 0;
  store::Overlap overlap = store::Overlap::kSkip;

  static ScheduleTiming of(const store::Schedule& s);
  bool operator==(const ScheduleTiming&) const = default;
};

// What one reload() changed.
struct ReloadResult {
  int added = 0, changed = 0, removed = 0;
  std::vector<Status> errors;  // schedules left out because they are invalid
};

class Scheduler {
 public:
  Scheduler(boost::asio::any_io_executor executor, Clock& clock, store::StoreThread& store,
            Launcher& launcher, const SchedulerOptions& options);

  // Reads every schedule and its last claimed occurrence from the store.
  // Paused schedules are left out; invalid ones are left out and listed in
  // load_errors(). Fails only when the store does.
  boost::asio::awaitable<Status> load();
  const std::vector<Status>& load_errors() const { return load_errors_; }

  // Brings the scheduler in step with the schedules table after something
  // changed it (the CLI, a sync, an automatic pause). Only schedules whose
  // timing changed are re-planned: a changed one keeps its cursor, a new one
  // starts now, so an edit never re-fires the past. Several callers may ask
  // at once: a call made while a reload is under way makes that reload read
  // the store once more and returns at once (empty result), so an older read
  // never overwrites a newer one. (schedule_reload.cpp)
  boost::asio::awaitable<Result<ReloadResult>> reload();

  // Adds or replaces one schedule in the plan; `cursor` as in SchedulerCore.
  // Without a cursor, a known schedule keeps its own and a new one starts
  // now. load() and reload() use them; tests use them to place a schedule
  // at a chosen cursor. Neither reads nor changes the store, nor what
  // reload() compares it with.
  Status upsert(const store::Schedule& schedule, date::sys_seconds cursor);
  Status upsert(const store::Schedule& schedule);
  void remove(std::int64_t schedule_id);

  // Wakes for each due occurrence until stop().
  boost::asio::awaitable<void> run();
  void stop();

  // One wake: notices wall-clock steps, decides what is due, claims it,
  // and launches what the limits allow. run() calls it; tests call it directly.
  boost::asio::awaitable<void> tick();

  // Queues a run claimed before a restart (crash recovery) behind the
  // concurrency limits, as SchedulerCore::recover; launches what fits.
  bool recover(const Launch& launch);
  // Queues a run taken over from another node (SchedulerCore::take_over);
  // launches what fits.
  void take_over(const Launch& launch);

  // A launched run ended (any outcome): frees its slot, launches what waits.
  void run_finished(std::int64_t schedule_id);

  // This node's share of the due occurrences (several nodes on one store;
  // the heartbeat sets it). tick() claims the occurrences of the schedules
  // the share owns at once and holds the others back for
  // options.claim_grace, then claims them unless their schedule was removed
  // meanwhile (their owner has usually claimed them by then: the claim
  // finds them taken). A decision held back that the share owns after a
  // change is claimed at the next tick.
  void set_share(const ClaimShare& share);
  const ClaimShare& share() const { return share_; }
  std::size_t held_back() const { return held_back_.size(); }

  // Hears of each occurrence this scheduler recorded in a final state itself
  // (missed, or skipped for overlap or min-interval), once, right after the
  // store accepted the claim; runs it launched end through the Launcher instead.
  using Recorded = std::function<void(const store::Run& run)>;
  void set_on_recorded(Recorded f) { on_recorded_ = std::move(f); }

  const SchedulerCore& core() const { return core_; }
  std::int64_t wakes() const { return wakes_; }              // tick() calls
  std::int64_t clock_steps() const { return clock_steps_; }  // wall-clock steps seen
  std::int64_t claim_errors() const { return claim_errors_; }
  // How long run() sleeps from `now`: until the next due occurrence, at most
  // options.max_sleep. Pure, for tests.
  std::chrono::milliseconds sleep_for(Clock::WallTime now) const;

 private:
  void launch_ready();
  boost::asio::awaitable<Result<ReloadResult>> reload_once();
  // Of `decisions` (just decided) and the decisions held back, those to
  // claim now; holds back the rest. (set_share())
  std::vector<Decision> to_claim(std::vector<Decision> decisions, Clock::WallTime now);
  boost::asio::awaitable<void> claim(std::vector<Decision> decisions, Clock::WallTime wall);

  struct HeldBack {
    Decision decision;
    Clock::WallTime claim_at;
  };

  Clock& clock_;
  store::StoreThread& store_;
  Launcher& launcher_;
  SchedulerOptions options_;
  SchedulerCore core_;
  boost::asio::steady_timer timer_;
  bool stopped_ = false;
  std::optional<std::pair<Clock::WallTime, Clock::SteadyTime>> last_wake_;
  std::vector<Status> load_errors_;
  // The timing of the active (unpaused) schedules as last read from the
  // store, by id: what reload() compares the store with.
  std::unordered_map<std::int64_t, ScheduleTiming> known_;
  bool reloading_ = false;  // a reload is under way
  bool again_ = false;      // asked for while reloading: read the store once more
  Recorded on_recorded_;
  ClaimShare share_;
  std::vector<HeldBack> held_back_;
  std::int64_t wakes_ = 0;
  std::int64_t clock_steps_ = 0;
  std::int64_t claim_errors_ = 0;
};

// True when `a` and `b` fire at the same times (the fields the scheduler
// uses). Pure.
bool same_timing(const store::Schedule& a, const store::Schedule& b);

// How far the wall clock moved beyond real elapsed time between two readings
// (positive: stepped forward). Pure.
std::chrono::milliseconds wall_step(Clock::WallTime wall_before, Clock::SteadyTime steady_before,
                                    Clock::WallTime wall_now, Clock::SteadyTime steady_now);

}  // namespace reportd::jobs
