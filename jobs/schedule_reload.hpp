#pragma once
// ScheduleReload: keeps the scheduler in step with the schedules table when
// something outside the daemon (the CLI, a sync) changes it. The daemon calls
// reload() when Store::data_version() moves; only schedules whose timing
// changed are re-planned, from now on, so an edit never re-fires the past.
// Lives on the scheduler's executor.

#include <map>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "jobs/scheduler.hpp"
#include "jobs/store_thread.hpp"

namespace reportd::jobs {

struct ReloadResult {
  int added = 0, changed = 0, removed = 0;
  std::vector<Status> errors;  // schedules left out because they are invalid
};

class ScheduleReload {
 public:
  ScheduleReload(Scheduler& scheduler, StoreThread& store) : scheduler_(scheduler), store_(store) {}

  // Records the schedules the scheduler loaded at start-up.
  boost::asio::awaitable<Status> prime();
  // Several callers (the heartbeat, a sync, an automatic pause) may ask at
  // once: a call made while a reload is under way makes that reload read the
  // store once more and returns at once, so an older read never overwrites
  // a newer one.
  boost::asio::awaitable<Result<ReloadResult>> reload();

  // True when `a` and `b` fire at the same times (the fields the scheduler uses).
  static bool same_timing(const store::Schedule& a, const store::Schedule& b);

 private:
  Scheduler& scheduler_;
  StoreThread& store_;
  boost::asio::awaitable<Result<ReloadResult>> reload_once();

  std::map<std::int64_t, store::Schedule> known_;  // active schedules
  bool busy_ = false;   // a reload is under way
  bool again_ = false;  // asked for while busy: read the store once more
};

}  // namespace reportd::jobs
