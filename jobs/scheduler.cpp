#include "jobs/scheduler.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace reportd::jobs {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// How long after a failed claim the occurrence is decided again.
constexpr seconds kClaimRetry{5};

std::int64_t to_ms(Clock::WallTime t) { return t.time_since_epoch().count(); }

// Claims every decision in one store transaction (one commit, so one fsync
// for 10,000 occurrences due together); runs on the store thread while
// tick() waits, so the decisions it points to outlive it.
struct ClaimAll {
  const std::vector<Decision>* decisions;
  std::int64_t now_ms;
  Result<std::vector<std::optional<std::int64_t>>> operator()(store::Store& s) const {
    std::vector<store::OccurrenceClaim> claims;
    claims.reserve(decisions->size());
    for (const Decision& d : *decisions)
      claims.push_back({d.occurrence.schedule_id, d.occurrence.nominal.time_since_epoch().count(),
                        d.state, d.reason});
    return s.claim_occurrences(claims, now_ms);
  }
};

// The row claim_occurrence() wrote for a decision that is final at once.
store::Run recorded_run(const Decision& d, std::int64_t run_id, std::int64_t now_ms) {
  store::Run r;
  r.id = run_id;
  r.schedule_id = d.occurrence.schedule_id;
  r.nominal_s = d.occurrence.nominal.time_since_epoch().count();
  r.state = d.state;
  r.reason = d.reason;
  r.claimed_at_ms = now_ms;
  return r;
}

// Every active schedule and its last claimed occurrence, in one query
// (store thread).
Result<std::vector<store::ActiveSchedule>> load_all(store::Store& s) {
  return s.list_active_schedules();
}

}  // namespace

milliseconds wall_step(Clock::WallTime wall_before, Clock::SteadyTime steady_before,
                       Clock::WallTime wall_now, Clock::SteadyTime steady_now) {
  return (wall_now - wall_before) -
         std::chrono::duration_cast<milliseconds>(steady_now - steady_before);
}

Scheduler::Scheduler(boost::asio::any_io_executor executor, Clock& clock, store::StoreThread& store,
                     Launcher& launcher, const SchedulerOptions& options)
    : clock_(clock),
      store_(store),
      launcher_(launcher),
      options_(options),
      core_(options),
      timer_(std::move(executor)) {}

boost::asio::awaitable<Status> Scheduler::load() {
  auto loaded = co_await store_.run(&load_all);
  if (!loaded.ok()) co_return std::move(loaded).status().with_context("scheduler: load");
  const date::sys_seconds now = date::floor<seconds>(clock_.wall_now());
  load_errors_.clear();
  known_.clear();
  known_.reserve(loaded->size());
  for (const store::ActiveSchedule& l : *loaded) {
    const store::Schedule schedule = l.schedule();
    known_.emplace(l.id, ScheduleTiming::of(schedule));
    // Resume after the last claimed occurrence; a schedule never claimed
    // starts from its creation (or now, when that is unknown).
    date::sys_seconds cursor = now;
    if (l.created_at_ms > 0)
      cursor = date::floor<seconds>(Clock::WallTime{milliseconds{l.created_at_ms}});
    if (l.last_nominal_s) cursor = date::sys_seconds{seconds{*l.last_nominal_s}};
    auto spec = make_spec(schedule);
    if (spec.ok()) {
      core_.upsert(*spec, cursor);
    } else {
      core_.remove(schedule.id);
      load_errors_.push_back(spec.status());
    }
  }
  timer_.cancel();  // once, not per schedule: run() re-evaluates its sleep
  co_return Status{};
}

Status Scheduler::upsert(const store::Schedule& schedule, date::sys_seconds cursor) {
  auto spec = make_spec(schedule);
  if (!spec.ok()) {
    core_.remove(schedule.id);
    return spec.status();
  }
  core_.upsert(*spec, cursor);
  timer_.cancel();  // run() re-evaluates its sleep
  return {};
}

Status Scheduler::upsert(const store::Schedule& schedule) {
  const auto cursor = core_.cursor(schedule.id);
  return upsert(schedule, cursor ? *cursor : date::floor<seconds>(clock_.wall_now()));
}

void Scheduler::remove(std::int64_t schedule_id) {
  core_.remove(schedule_id);
  timer_.cancel();
}

boost::asio::awaitable<void> Scheduler::tick() {
  ++wakes_;
  const Clock::WallTime wall = clock_.wall_now();
  const Clock::SteadyTime steady = clock_.steady_now();
  std::string context;
  if (last_wake_) {
    const milliseconds step = wall_step(last_wake_->first, last_wake_->second, wall, steady);
    if (step > options_.jump_tolerance || step < -options_.jump_tolerance) {
      ++clock_steps_;
      context = "the wall clock stepped " + std::string(step.count() > 0 ? "forward " : "back ") +
                std::to_string(std::abs(step.count()) / 1000) + "s";
    }
  }
  last_wake_ = {wall, steady};

  co_await claim(to_claim(core_.collect_due(date::floor<seconds>(wall), context), wall), wall);
  launch_ready();
}

std::vector<Decision> Scheduler::to_claim(std::vector<Decision> decisions, Clock::WallTime now) {
  std::vector<Decision> out;
  std::vector<HeldBack> still;
  for (HeldBack& h : held_back_) {
    const std::int64_t id = h.decision.occurrence.schedule_id;
    // (A claim_at further off than the grace: the wall clock stepped back.)
    const bool waits = h.claim_at > now && h.claim_at - now <= options_.claim_grace;
    if (waits && !owns(share_, id)) {
      still.push_back(std::move(h));
    } else if (core_.cursor(id)) {
      out.push_back(std::move(h.decision));
    } else {
      core_.on_claimed(h.decision, std::nullopt);  // removed or paused meanwhile: not claimed
    }
  }
  for (Decision& d : decisions) {
    if (owns(share_, d.occurrence.schedule_id) || options_.claim_grace.count() <= 0) {
      out.push_back(std::move(d));
    } else {
      still.push_back({std::move(d), now + options_.claim_grace});
    }
  }
  held_back_ = std::move(still);
  return out;
}

boost::asio::awaitable<void> Scheduler::claim(std::vector<Decision> decisions,
                                              Clock::WallTime wall) {
  if (decisions.empty()) co_return;
  const std::int64_t now_ms = to_ms(wall);
  // A named function object: GCC 12 destroys a capturing lambda temporary
  // inside a co_await expression twice.
  ClaimAll all{&decisions, now_ms};
  auto results = co_await store_.run(all);
  for (std::size_t i = 0; i < decisions.size(); ++i) {
    if (results.ok()) {
      const std::optional<std::int64_t>& run_id = (*results)[i];
      core_.on_claimed(decisions[i], run_id);
      if (run_id && decisions[i].state != store::RunState::kPending && on_recorded_) {
        on_recorded_(recorded_run(decisions[i], *run_id, now_ms));
      }
    } else {
      // The store failed (a full disk, an I/O error): nothing was
      // recorded, so every occurrence is decided again a little later.
      ++claim_errors_;
      core_.on_claim_failed(decisions[i], date::floor<seconds>(wall) + kClaimRetry);
    }
  }
}

void Scheduler::set_share(const ClaimShare& share) {
  if (share == share_) return;
  share_ = share;
  timer_.cancel();  // run() claims what the new share owns at once
}

void Scheduler::launch_ready() {
  for (const Launch& l : core_.dispatch()) launcher_.launch(l);
}

bool Scheduler::recover(const Launch& launch) {
  if (!core_.recover(launch)) return false;
  launch_ready();
  return true;
}

void Scheduler::take_over(const Launch& launch) {
  core_.take_over(launch);
  launch_ready();
}

void Scheduler::run_finished(std::int64_t schedule_id) {
  core_.on_finished(schedule_id);
  launch_ready();
}

milliseconds Scheduler::sleep_for(Clock::WallTime now) const {
  const milliseconds longest = options_.max_sleep;
  milliseconds until = longest;
  if (const auto wake = core_.next_wake()) {
    until = std::min(until, std::chrono::duration_cast<milliseconds>(*wake - now));
  }
  for (const HeldBack& h : held_back_) until = std::min(until, h.claim_at - now);
  return std::clamp(until, milliseconds{0}, longest);
}

boost::asio::awaitable<void> Scheduler::run() {
  while (!stopped_) {
    co_await tick();
    if (stopped_) break;
    timer_.expires_after(sleep_for(clock_.wall_now()));
    // Cancelled by upsert()/remove()/stop(): loop and re-evaluate.
    (void)co_await timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }
}

void Scheduler::stop() {
  stopped_ = true;
  timer_.cancel();
}

}  // namespace reportd::jobs
