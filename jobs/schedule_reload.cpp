#include "jobs/schedule_reload.hpp"

namespace reportd::jobs {

bool ScheduleReload::same_timing(const store::Schedule& a, const store::Schedule& b) {
  return a.cron == b.cron && a.tz == b.tz && a.connection_id == b.connection_id &&
         a.catchup_seconds == b.catchup_seconds && a.overlap == b.overlap &&
         a.splay_seconds == b.splay_seconds && a.min_interval_seconds == b.min_interval_seconds &&
         a.paused == b.paused;
}

boost::asio::awaitable<Status> ScheduleReload::prime() {
  auto all = co_await store_.run([](store::Store& s) { return s.list_schedules(); });
  if (!all.ok()) co_return all.status();
  known_.clear();
  for (store::Schedule& s : *all) {
    if (!s.paused) known_.emplace(s.id, std::move(s));
  }
  co_return Status();
}

boost::asio::awaitable<Result<ReloadResult>> ScheduleReload::reload() {
  if (busy_) {
    again_ = true;
    co_return ReloadResult();
  }
  busy_ = true;
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
  busy_ = false;
  if (!failed.ok()) co_return failed;
  co_return total;
}

boost::asio::awaitable<Result<ReloadResult>> ScheduleReload::reload_once() {
  auto all = co_await store_.run([](store::Store& s) { return s.list_schedules(); });
  if (!all.ok()) co_return all.status();
  ReloadResult r;
  std::map<std::int64_t, store::Schedule> now;
  for (store::Schedule& s : *all) {
    if (!s.paused) now.emplace(s.id, std::move(s));
  }
  for (const auto& [id, old] : known_) {
    if (now.count(id) == 0) {
      scheduler_.remove(id);
      ++r.removed;
    }
  }
  for (const auto& [id, s] : now) {
    auto it = known_.find(id);
    if (it != known_.end() && same_timing(it->second, s)) continue;
    (it == known_.end() ? r.added : r.changed) += 1;
    // A changed schedule keeps its cursor (nothing before it fires again);
    // a new one starts now.
    if (Status st = scheduler_.upsert(s); !st.ok()) r.errors.push_back(std::move(st));
  }
  known_ = std::move(now);
  co_return r;
}

}  // namespace reportd::jobs
