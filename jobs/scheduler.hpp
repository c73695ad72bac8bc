#pragma once
// Scheduler: the short async loop around SchedulerCore. One steady_timer
// sleeps until the earliest due occurrence (no polling); each wake decides,
// claims through the store thread, and hands claimed occurrences to the
// Launcher. Lives on one executor (the daemon's io_context); all calls there.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "jobs/clock.hpp"
#include "jobs/scheduler_core.hpp"
#include "jobs/store_thread.hpp"
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

class Scheduler {
 public:
  Scheduler(boost::asio::any_io_executor executor, Clock& clock, StoreThread& store,
            Launcher& launcher, const SchedulerOptions& options);

  // Reads every schedule and its last claimed occurrence from the store.
  // Paused schedules are left out; invalid ones are left out and listed in
  // load_errors(). Fails only when the store does.
  boost::asio::awaitable<Status> load();
  const std::vector<Status>& load_errors() const { return load_errors_; }

  // Adds or replaces one schedule (sync, CLI); `cursor` as in SchedulerCore.
  // Without a cursor, a known schedule keeps its own and a new one starts now.
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

  // A launched run ended (any outcome): frees its slot, launches what waits.
  void run_finished(std::int64_t schedule_id);

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

  Clock& clock_;
  StoreThread& store_;
  Launcher& launcher_;
  SchedulerOptions options_;
  SchedulerCore core_;
  boost::asio::steady_timer timer_;
  bool stopped_ = false;
  std::optional<std::pair<Clock::WallTime, Clock::SteadyTime>> last_wake_;
  std::vector<Status> load_errors_;
  Recorded on_recorded_;
  std::int64_t wakes_ = 0;
  std::int64_t clock_steps_ = 0;
  std::int64_t claim_errors_ = 0;
};

// How far the wall clock moved beyond real elapsed time between two readings
// (positive: stepped forward). Pure.
std::chrono::milliseconds wall_step(Clock::WallTime wall_before, Clock::SteadyTime steady_before,
                                    Clock::WallTime wall_now, Clock::SteadyTime steady_now);

}  // namespace reportd::jobs
