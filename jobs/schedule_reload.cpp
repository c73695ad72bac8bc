// Scheduler::reload(): the scheduler's one way to follow the schedules table
// after start-up (scheduler.hpp).
#include "jobs/scheduler.hpp"

namespace reportd::jobs {
namespace {

// Every active schedule, by id (store thread).
Result<std::map<std::int64_t, store::Schedule>> active_schedules(store::Store& s) {
  auto all = s.list_schedules();
  if (!all.ok()) return std::move(all).status();
  std::map<std::int64_t, store::Schedule> out;
  for (store::Schedule& sc : *all) {
    if (!sc.paused) out.emplace(sc.id, std::move(sc));
  }
  return out;
}

}  // namespace

bool same_timing(const store::Schedule& a, const store::Schedule& b) {
  return a.cron == b.cron && a.tz == b.tz && a.connection_id == b.connection_id &&
         a.catchup_seconds == b.catchup_seconds && a.overlap == b.overlap &&
         a.splay_seconds == b.splay_seconds && a.min_interval_seconds == b.min_interval_seconds &&
         a.paused == b.paused;
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
  for (const auto& [id, s] : *now) {
    auto it = known_.find(id);
    if (it != known_.end() && same_timing(it->second, s)) continue;
    (it == known_.end() ? r.added : r.changed) += 1;
    // A changed schedule keeps its cursor (nothing before it fires again);
    // a new one starts now.
    if (Status st = upsert(s); !st.ok()) r.errors.push_back(std::move(st));
  }
  known_ = std::move(now).value();
  co_return r;
}

}  // namespace reportd::jobs
