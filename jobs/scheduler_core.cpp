#include "jobs/scheduler_core.hpp"

#include <deque>

#include "jobs/next_fire.hpp"

namespace reportd::jobs {
namespace {

using std::chrono::seconds;

// After a long outage, occurrences older than the catch-up deadline plus this
// are skipped without being walked one by one (a 5-minute schedule down for a
// year would otherwise cost 100,000 next_fire calls).
constexpr seconds kMissedWalk{7 * 86400};

std::string duration_text(seconds s) {
  const auto v = s.count();
  if (v % 3600 == 0) return std::to_string(v / 3600) + "h";
  if (v % 60 == 0) return std::to_string(v / 60) + "m";
  return std::to_string(v) + "s";
}

std::string with_context(std::string reason, const std::string& context) {
  return context.empty() ? reason : reason + " (" + context + ")";
}

}  // namespace

bool owns(const ClaimShare& share, std::int64_t schedule_id) {
  if (share.nodes <= 1) return true;
  // splitmix64's finalizer: consecutive ids spread evenly over the nodes.
  std::uint64_t h = static_cast<std::uint64_t>(schedule_id) + 0x9e3779b97f4a7c15ULL;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h % static_cast<std::uint64_t>(share.nodes) == static_cast<std::uint64_t>(share.rank);
}

void SchedulerCore::upsert(const ScheduleSpec& spec, date::sys_seconds cursor) {
  Entry& e = entries_[spec.id];
  e.spec = spec;
  e.cursor = cursor;
  const auto f = next_fire(spec.cron, *spec.zone, cursor);
  e.next = f ? std::optional(f->utc) : std::nullopt;
  arm(e);
}

void SchedulerCore::remove(std::int64_t schedule_id) {
  // Heap items die lazily; runs already going finish and are counted down.
  // A run claimed behind one still going (deferred_) is launched all the
  // same when that one ends: it holds a run row and, with leases, a lease
  // that the heartbeat renews; dropped here, it stayed unfinished for good.
  // It then ends as the pipeline decides (cancelled when paused).
  entries_.erase(schedule_id);
}

std::optional<date::sys_seconds> SchedulerCore::cursor(std::int64_t schedule_id) const {
  auto it = entries_.find(schedule_id);
  if (it == entries_.end()) return std::nullopt;
  return it->second.cursor;
}

void SchedulerCore::arm(Entry& e) {
  e.generation = next_generation_++;
  if (e.next) heap_.push(HeapItem{*e.next + e.spec.splay, e.spec.id, e.generation});
}

std::optional<date::sys_seconds> SchedulerCore::next_wake() const {
  while (!heap_.empty()) {
    const HeapItem& top = heap_.top();
    auto it = entries_.find(top.schedule_id);
    if (it != entries_.end() && it->second.generation == top.generation) return top.due;
    heap_.pop();
  }
  return std::nullopt;
}

std::vector<Decision> SchedulerCore::collect_due(date::sys_seconds now,
                                                 const std::string& context) {
  std::vector<Decision> out;
  while (!heap_.empty() && heap_.top().due <= now) {
    const HeapItem top = heap_.top();
    heap_.pop();
    auto it = entries_.find(top.schedule_id);
    if (it == entries_.end() || it->second.generation != top.generation) continue;
    decide(it->second, now, context, out);
  }
  return out;
}

void SchedulerCore::decide(Entry& e, date::sys_seconds now, const std::string& context,
                           std::vector<Decision>& out) {
  const ScheduleSpec& spec = e.spec;
  const auto next_after = [&](date::sys_seconds t) -> std::optional<date::sys_seconds> {
    const auto f = next_fire(spec.cron, *spec.zone, t);
    return f ? std::optional(f->utc) : std::nullopt;
  };
  // Every occurrence due by now (splay included), keeping only the latest few.
  std::optional<date::sys_seconds> n = e.next;
  bool unrecorded = false;
  const date::sys_seconds horizon = now - spec.splay - spec.catch_up - kMissedWalk;
  if (n && *n < horizon) {
    n = next_after(horizon);
    unrecorded = true;
  }
  std::deque<date::sys_seconds> due;
  while (n && *n + spec.splay <= now) {
    due.push_back(*n);
    if (due.size() > static_cast<std::size_t>(options_.max_missed_records) + 1) {
      due.pop_front();
      unrecorded = true;
    }
    n = next_after(*n);
  }
  e.next = n;
  if (due.empty()) {
    arm(e);
    return;
  }
  const date::sys_seconds latest = due.back();
  due.pop_back();
  e.cursor = latest;
  arm(e);

  const auto occurrence = [&](date::sys_seconds t) { return Occurrence{spec.id, spec.org, t}; };
  for (std::size_t i = 0; i < due.size(); ++i) {
    std::string reason = "missed: not run in time; only the latest missed occurrence runs";
    if (i == 0 && unrecorded) reason += "; older missed occurrences are not recorded";
    out.push_back({occurrence(due[i]), store::RunState::kMissed, with_context(reason, context)});
  }
  const seconds late = now - (latest + spec.splay);
  Decision d{occurrence(latest), store::RunState::kPending, {}};
  const int in_flight = in_flight_.contains(spec.id) ? in_flight_[spec.id] : 0;
  const int allowed = spec.overlap == store::Overlap::kQueue ? 2 : 1;
  const auto last = last_pending_.find(spec.id);
  if (late > spec.catch_up) {
    d.state = store::RunState::kMissed;
    d.reason = with_context("missed: " + duration_text(late) +
                                " late, past the catch-up deadline of " +
                                duration_text(spec.catch_up),
                            context);
  } else if (in_flight >= allowed) {
    d.state = store::RunState::kSkipped;
    d.reason = "overlap: the previous run of this schedule is still going";
  } else if (last != last_pending_.end() && latest - last->second < spec.min_interval) {
    d.state = store::RunState::kSkipped;
    d.reason = "min-interval: " + duration_text(latest - last->second) +
               " after the previous run, under the minimum interval of " +
               duration_text(spec.min_interval);
  } else {
    ++in_flight_[spec.id];
    last_pending_[spec.id] = latest;
  }
  out.push_back(std::move(d));
}

void SchedulerCore::on_claimed(const Decision& d, std::optional<std::int64_t> run_id) {
  if (d.state != store::RunState::kPending) return;
  const std::int64_t id = d.occurrence.schedule_id;
  if (!run_id) {
    // Claimed before (a restart) or elsewhere (another process): not ours.
    if (--in_flight_[id] <= 0) in_flight_.erase(id);
    return;
  }
  const Launch launch{d.occurrence, *run_id};
  if ((running_by_schedule_.contains(id) || queued_.contains(id)) &&
      deferred_.try_emplace(id, launch).second) {
    return;  // kQueue, or a run taken over: after the previous run
  }
  // (A second one waiting is queued rather than dropped: a claimed run
  // always runs.)
  ++queued_[id];
  queue_.push(d.occurrence.org, launch);
}

void SchedulerCore::on_claim_failed(const Decision& d, date::sys_seconds retry_at) {
  const std::int64_t id = d.occurrence.schedule_id;
  const date::sys_seconds t = d.occurrence.nominal;
  if (d.state == store::RunState::kPending) {
    if (--in_flight_[id] <= 0) in_flight_.erase(id);
    auto last = last_pending_.find(id);
    if (last != last_pending_.end() && last->second == t) last_pending_.erase(last);
  }
  auto it = entries_.find(id);
  if (it == entries_.end()) return;  // removed meanwhile
  Entry& e = it->second;
  // Several decisions of one schedule may fail together: walk from the earliest.
  if (e.cursor >= t) e.cursor = t - seconds(1);
  if (!e.next || *e.next > t) e.next = t;
  e.generation = next_generation_++;
  heap_.push(HeapItem{std::max(retry_at, *e.next + e.spec.splay), id, e.generation});
}

bool SchedulerCore::recover(const Launch& launch) {
  const std::int64_t id = launch.occurrence.schedule_id;
  if (deferred_.contains(id)) return false;
  ++in_flight_[id];
  on_claimed(Decision{launch.occurrence, store::RunState::kPending, {}}, launch.run_id);
  return true;
}

void SchedulerCore::take_over(const Launch& launch) {
  const std::int64_t id = launch.occurrence.schedule_id;
  ++in_flight_[id];
  ++queued_[id];
  queue_.push(launch.occurrence.org, launch);
}

std::vector<Launch> SchedulerCore::dispatch() {
  std::vector<Launch> out;
  const auto org_has_room = [this](std::int64_t org) {
    return running(org) < options_.per_org_limit;
  };
  while (running_ < options_.global_limit) {
    std::optional<Launch> l = queue_.pop(org_has_room);
    if (!l) break;
    const std::int64_t id = l->occurrence.schedule_id;
    if (--queued_[id] <= 0) queued_.erase(id);
    Going& going = running_by_schedule_[id];
    going.org = l->occurrence.org;
    ++going.runs;
    ++running_by_org_[l->occurrence.org];
    ++running_;
    out.push_back(*l);
  }
  return out;
}

void SchedulerCore::on_finished(std::int64_t schedule_id) {
  auto it = running_by_schedule_.find(schedule_id);
  if (it == running_by_schedule_.end()) return;
  const std::int64_t org = it->second.org;
  if (--running_by_org_[org] <= 0) running_by_org_.erase(org);
  --running_;
  if (--in_flight_[schedule_id] <= 0) in_flight_.erase(schedule_id);
  if (--it->second.runs > 0) return;  // a run taken over beside it goes on
  running_by_schedule_.erase(it);
  if (auto d = deferred_.find(schedule_id); d != deferred_.end()) {
    ++queued_[schedule_id];
    queue_.push(d->second.occurrence.org, d->second);
    deferred_.erase(d);
  }
}

int SchedulerCore::running(std::int64_t org) const {
  auto it = running_by_org_.find(org);
  return it == running_by_org_.end() ? 0 : it->second;
}

bool SchedulerCore::busy(std::int64_t schedule_id) const {
  return in_flight_.contains(schedule_id);
}

}  // namespace reportd::jobs
