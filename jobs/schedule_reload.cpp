// Scheduler::reload(): the scheduler's one way to follow the schedules table
// after start-up (scheduler.hpp).
#include "jobs/scheduler.hpp"

namespace reportd::jobs {
namespace {

// Every active schedule, by id, with the fields that decide when it fires
// (store thread).
Result<std::map<std::int64_t, store::Schedule>> active_schedules(store::Store& s) {
  auto all = s.list_active_schedules();
  if (!all.ok()) return std::move(all).status();
  std::map<std::int64_t, store::Schedule> out;
  for (const store::ActiveSchedule& a : *all) out.emplace(a.id, a.schedule());
  return out;
}

}  // namespace

ScheduleTiming ScheduleTiming::of(const store::Schedule& s) {
  ScheduleTiming t;
  t.cron_and_tz.reserve(s.cron.size() + 1 + s.tz.size());
  t.cron_and_tz.append(s.cron).append(1, '\n').append(s.tz);
  t.connection_id = s.connection_id;
  t.catchup_seconds = s.catchup_seconds;
  t.splay_seconds = s.splay_seconds;
  t.min_interval_seconds = s.min_interval_seconds;
  t.overlap = s.overlap;
  return t;
}

bool same_timing(const store::Schedule& a, const store::Schedule& b) {
  return a.paused == b.paused && ScheduleTiming::of(a) == ScheduleTiming::of(b);
}

boost::asio::awaitable<Result<ReloadResult>> Scheduler::reload() {
  if (reloading_) {
    again_ = true;
    co_return ReloadResult();
  }
  reloading_ = true;
  ReloadResult total;
  Status failed;
  do {
    again_ = false;
    auto r = co_await reload_once();
    if (!r.ok()) {
      failed = r.status();
      break;
    }
    total.added += r->added;
    total.changed += r->changed;
    total.removed += r->removed;
    for (Status& e : r->errors) total.errors.push_back(std::move(e));
  } while (again_);
  reloading_ = false;
  if (!failed.ok()) co_return failed;
  co_return total;
}

boost::asio::awaitable<Result<ReloadResult>> Scheduler::reload_once() {
  auto now = co_await store_.run(&active_schedules);
  if (!now.ok()) co_return std::move(now).status().with_context("scheduler: reload");
  ReloadResult r;
  for (const auto& [id, old] : known_) {
    if (now->count(id) == 0) {
      remove(id);
      ++r.removed;
    }
  }
  std::unordered_map<std::int64_t, ScheduleTiming> timings;
  timings.reserve(now->size());
  for (const auto& [id, s] : *now) {
    ScheduleTiming t = ScheduleTiming::of(s);
    auto it = known_.find(id);
    const bool same = it != known_.end() && it->second == t;
    timings.emplace(id, std::move(t));
    if (same) continue;
    (it == known_.end() ? r.added : r.changed) += 1;
    // A changed schedule keeps its cursor (nothing before it fires again);
    // a new one starts now.
    if (Status st = upsert(s); !st.ok()) r.errors.push_back(std::move(st));
  }
  known_ = std::move(timings);
  co_return r;
}

}  // namespace reportd::jobs
