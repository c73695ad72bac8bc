// Specification of the scheduler's decisions (DESIGN.md §4.3), on the pure
// SchedulerCore: catch-up after downtime, DST nights, overlap, limits and a
// fair queue, splay, minimum interval, wall-clock steps. No clock, no sleep.
#include "jobs/scheduler_core.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <doctest/doctest.h>

#include "jobs/next_fire.hpp"
#include "tests/jobs/time_text.hpp"

using namespace reportd::jobs;  // NOLINT: test file
using reportd::store::Overlap;
using reportd::store::RunState;
using test::at;
using test::text;

namespace {

ScheduleSpec spec(std::int64_t id, const char* cron, const char* zone = "UTC",
                  std::int64_t org = 1) {
  ScheduleSpec s;
  s.id = id;
  s.org = org;
  auto e = parse_cron(cron);
  REQUIRE(e.ok());
  s.cron = *e;
  s.zone = *find_zone(zone);
  return s;
}

std::size_t count(const std::vector<Decision>& ds, RunState state) {
  return static_cast<std::size_t>(
      std::count_if(ds.begin(), ds.end(), [&](const Decision& d) { return d.state == state; }));
}

std::int64_t g_run_id = 1;

// Claims every decision, launches what the limits allow and (optionally)
// finishes every run at once.
void settle(SchedulerCore& core, const std::vector<Decision>& ds, bool finish = true) {
  for (const Decision& d : ds) core.on_claimed(d, g_run_id++);
  for (const Launch& l : core.dispatch())
    if (finish) core.on_finished(l.occurrence.schedule_id);
}

// Wakes the core at each due instant up to `until`, as the loop would, and
// returns every decision made, in order.
std::vector<Decision> drive(SchedulerCore& core, date::sys_seconds until) {
  std::vector<Decision> all;
  while (auto wake = core.next_wake()) {
    if (*wake > until) break;
    auto ds = core.collect_due(*wake);
    settle(core, ds);
    all.insert(all.end(), ds.begin(), ds.end());
  }
  return all;
}

std::vector<std::string> pending_times(const std::vector<Decision>& ds) {
  std::vector<std::string> out;
  for (const Decision& d : ds)
    if (d.state == RunState::kPending) out.push_back(text(d.occurrence.nominal));
  return out;
}

}  // namespace

TEST_CASE("scheduler: restart after 1 h runs the latest missed occurrence, records the rest") {
  SchedulerCore core({});
  core.upsert(spec(1, "*/15 * * * *"), at("2026-05-04T10:00:00Z"));
  CHECK(text(*core.next_wake()) == "2026-05-04T10:15:00Z");
  auto ds = core.collect_due(at("2026-05-04T11:07:00Z"));
  REQUIRE(ds.size() == 4);
  CHECK(count(ds, RunState::kMissed) == 3);
  CHECK(ds.back().state == RunState::kPending);
  CHECK(text(ds.back().occurrence.nominal) == "2026-05-04T11:00:00Z");
  CHECK(text(*core.next_wake()) == "2026-05-04T11:15:00Z");
}

TEST_CASE("scheduler: restart after 25 h catches up once") {
  SchedulerCore core({});
  core.upsert(spec(1, "0 9 * * *", "Europe/Berlin"), at("2026-05-04T07:00:00Z"));
  core.upsert(spec(2, "0 * * * *", "Europe/Berlin"), at("2026-05-04T07:00:00Z"));
  auto ds = core.collect_due(at("2026-05-05T08:00:00Z"));
  std::map<std::int64_t, std::vector<Decision>> by;
  for (const Decision& d : ds) by[d.occurrence.schedule_id].push_back(d);
  REQUIRE(by[1].size() == 1);  // 09:00 local = 07:00Z, one hour late
  CHECK(by[1][0].state == RunState::kPending);
  CHECK(text(by[1][0].occurrence.nominal) == "2026-05-05T07:00:00Z");
  REQUIRE(by[2].size() == 25);
  CHECK(count(by[2], RunState::kMissed) == 24);
  CHECK(by[2].back().state == RunState::kPending);
  CHECK(text(by[2].back().occurrence.nominal) == "2026-05-05T08:00:00Z");
}

TEST_CASE("scheduler: restart after 8 days records missed occurrences and runs none too old") {
  SchedulerCore core({});
  core.upsert(spec(1, "0 9 * * *"), at("2026-05-01T09:00:00Z"));
  core.upsert(spec(2, "*/5 * * * *"), at("2026-05-01T09:00:00Z"));
  auto ds = core.collect_due(at("2026-05-09T08:00:00Z"));
  std::map<std::int64_t, std::vector<Decision>> by;
  for (const Decision& d : ds) by[d.occurrence.schedule_id].push_back(d);
  // Daily: 7 occurrences, the latest 23 h late, past the 6 h deadline.
  REQUIRE(by[1].size() == 7);
  CHECK(count(by[1], RunState::kMissed) == 7);
  CHECK(by[1].back().reason.find("past the catch-up deadline of 6h") != std::string::npos);
  // Every 5 minutes: the latest (08:00) runs; 100 older are recorded, the
  // oldest recorded says more were not.
  REQUIRE(by[2].size() == 101);
  CHECK(by[2].back().state == RunState::kPending);
  CHECK(text(by[2].back().occurrence.nominal) == "2026-05-09T08:00:00Z");
  CHECK(by[2].front().reason.find("not recorded") != std::string::npos);
  CHECK(text(by[2].front().occurrence.nominal) == "2026-05-08T23:40:00Z");
}

TEST_CASE("scheduler: a spring-forward night fires 02:30 once, at 03:00") {
  SchedulerCore core({});
  core.upsert(spec(1, "30 2 * * *", "Europe/Berlin"), at("2026-03-27T12:00:00Z"));
  core.upsert(spec(2, "*/30 * * * *", "Europe/Berlin", 2), at("2026-03-29T00:00:00Z"));
  auto ds = drive(core, at("2026-03-30T12:00:00Z"));
  std::vector<std::string> fixed;
  std::vector<std::string> interval;
  for (const Decision& d : ds) {
    CHECK(d.state == RunState::kPending);
    auto& v = d.occurrence.schedule_id == 1 ? fixed : interval;
    v.push_back(text(d.occurrence.nominal));
  }
  CHECK(fixed == std::vector<std::string>{"2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z",
                                          "2026-03-30T00:30:00Z"});
  // 01:30 CET then 03:00 CEST: real elapsed time, no 02:xx.
  CHECK(interval[0] == "2026-03-29T00:30:00Z");
  CHECK(interval[1] == "2026-03-29T01:00:00Z");
  CHECK(std::set<std::string>(interval.begin(), interval.end()).size() == interval.size());
}

TEST_CASE("scheduler: a fall-back night fires fixed-time once and interval-like twice") {
  SchedulerCore core({});
  core.upsert(spec(1, "30 2 * * *", "Europe/Berlin"), at("2026-10-24T12:00:00Z"));
  core.upsert(spec(2, "*/30 2 * * *", "Europe/Berlin"), at("2026-10-24T12:00:00Z"));
  core.upsert(spec(3, "*/30 * * * *", "Europe/Berlin", 2), at("2026-10-24T23:50:00Z"));
  auto ds = drive(core, at("2026-10-25T02:10:00Z"));
  std::map<std::int64_t, std::vector<std::string>> by;
  for (const Decision& d : ds) by[d.occurrence.schedule_id].push_back(text(d.occurrence.nominal));
  CHECK(by[1] == std::vector<std::string>{"2026-10-25T00:30:00Z"});
  CHECK(by[2] == std::vector<std::string>{"2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z"});
  CHECK(by[3] == std::vector<std::string>{"2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z",
                                          "2026-10-25T01:00:00Z", "2026-10-25T01:30:00Z",
                                          "2026-10-25T02:00:00Z"});
}

TEST_CASE("scheduler: 10,000 schedules due the same second share slots fairly across orgs") {
  SchedulerOptions o;
  o.global_limit = 20;
  o.per_org_limit = 4;
  SchedulerCore core(o);
  // Org 1 has 9,000 schedules; orgs 2-11 have 100 each.
  std::int64_t id = 1;
  for (; id <= 9000; ++id) core.upsert(spec(id, "0 9 * * *", "UTC", 1), at("2026-05-04T08:00:00Z"));
  for (std::int64_t org = 2; org <= 11; ++org)
    for (int i = 0; i < 100; ++i, ++id)
      core.upsert(spec(id, "0 9 * * *", "UTC", org), at("2026-05-04T08:00:00Z"));
  auto ds = core.collect_due(at("2026-05-04T09:00:00Z"));
  REQUIRE(ds.size() == 10000);
  CHECK(count(ds, RunState::kPending) == 10000);
  for (const Decision& d : ds) core.on_claimed(d, g_run_id++);

  std::set<std::int64_t> launched;
  std::map<std::int64_t, std::size_t> last_launch;  // org -> launch index
  std::deque<std::int64_t> running;
  std::size_t index = 0;
  auto first = core.dispatch();
  CHECK(first.size() == 20);
  std::map<std::int64_t, int> first_by_org;
  for (const Launch& l : first) ++first_by_org[l.occurrence.org];
  CHECK(first_by_org.size() == 11);  // every org got a slot at once
  CHECK(first_by_org[1] <= 4);
  std::vector<Launch> batch = first;
  while (true) {
    for (const Launch& l : batch) {
      CHECK(launched.insert(l.occurrence.schedule_id).second);  // never twice
      last_launch[l.occurrence.org] = index++;
      running.push_back(l.occurrence.schedule_id);
    }
    CHECK(core.running() <= 20);
    for (std::int64_t org = 1; org <= 11; ++org) CHECK(core.running(org) <= 4);
    if (running.empty()) break;
    core.on_finished(running.front());  // the oldest run ends
    running.pop_front();
    batch = core.dispatch();
  }
  CHECK(launched.size() == 10000);
  // The small orgs were not starved: each finished launching long before org 1.
  for (std::int64_t org = 2; org <= 11; ++org) CHECK(last_launch[org] < 1500);
  CHECK(last_launch[1] == 9999);
}

TEST_CASE("scheduler: the wall clock stepping back or forward never fires twice") {
  SchedulerCore core({});
  core.upsert(spec(1, "0 * * * *"), at("2026-05-04T09:30:00Z"));
  auto ds = core.collect_due(at("2026-05-04T10:00:00Z"));
  REQUIRE(pending_times(ds) == std::vector<std::string>{"2026-05-04T10:00:00Z"});
  settle(core, ds);
  // Back to 09:30: nothing; 10:00 again: still nothing; 11:00 fires.
  CHECK(core.collect_due(at("2026-05-04T09:30:00Z")).empty());
  CHECK(core.collect_due(at("2026-05-04T10:00:00Z")).empty());
  CHECK(text(*core.next_wake()) == "2026-05-04T11:00:00Z");
  // Forward from 11:05 to 14:05: 11:00 ran; 12:00 and 13:00 missed; 14:00 runs.
  settle(core, core.collect_due(at("2026-05-04T11:05:00Z")));
  ds = core.collect_due(at("2026-05-04T14:05:00Z"), "the wall clock stepped forward 10800s");
  REQUIRE(ds.size() == 3);
  CHECK(ds[0].state == RunState::kMissed);
  CHECK(ds[0].reason.find("stepped forward") != std::string::npos);
  CHECK(pending_times(ds) == std::vector<std::string>{"2026-05-04T14:00:00Z"});
}

TEST_CASE("scheduler: overlap skips while the previous run goes; kQueue waits for it") {
  SchedulerCore core({});
  core.upsert(spec(1, "*/5 * * * *"), at("2026-05-04T09:59:00Z"));
  ScheduleSpec q = spec(2, "*/5 * * * *");
  q.overlap = Overlap::kQueue;
  core.upsert(q, at("2026-05-04T09:59:00Z"));
  settle(core, core.collect_due(at("2026-05-04T10:00:00Z")), /*finish=*/false);
  CHECK(core.running() == 2);
  auto ds = core.collect_due(at("2026-05-04T10:05:00Z"));
  REQUIRE(ds.size() == 2);
  CHECK(ds[0].state == RunState::kSkipped);
  CHECK(ds[0].reason.find("overlap") == 0);
  CHECK(ds[1].state == RunState::kPending);
  settle(core, ds, false);
  CHECK(core.running() == 2);  // schedule 2's second occurrence waits
  core.on_finished(2);
  auto next = core.dispatch();
  REQUIRE(next.size() == 1);
  CHECK(text(next[0].occurrence.nominal) == "2026-05-04T10:05:00Z");
  core.on_finished(1);
  ds = core.collect_due(at("2026-05-04T10:10:00Z"));
  CHECK(ds[0].state == RunState::kPending);  // schedule 1 is free again
  CHECK(ds[1].state == RunState::kPending);  // schedule 2: one running, this one waits
  settle(core, ds, false);
  ds = core.collect_due(at("2026-05-04T10:15:00Z"));
  CHECK(ds[1].state == RunState::kSkipped);  // ... but never two
}

TEST_CASE("scheduler: a lost claim runs nothing and leaves the schedule free") {
  SchedulerCore core({});
  core.upsert(spec(1, "*/5 * * * *"), at("2026-05-04T09:59:00Z"));
  auto ds = core.collect_due(at("2026-05-04T10:00:00Z"));
  REQUIRE(ds.size() == 1);
  CHECK(core.busy(1));
  core.on_claimed(ds[0], std::nullopt);
  CHECK_FALSE(core.busy(1));
  CHECK(core.dispatch().empty());
}

TEST_CASE("scheduler: a claim the store failed is decided again, never lost") {
  SchedulerCore core({});
  core.upsert(spec(1, "*/5 * * * *"), at("2026-05-04T09:59:00Z"));
  auto ds = core.collect_due(at("2026-05-04T10:00:00Z"));
  REQUIRE(ds.size() == 1);
  core.on_claim_failed(ds[0], at("2026-05-04T10:00:05Z"));  // a full disk
  CHECK_FALSE(core.busy(1));
  CHECK(text(*core.next_wake()) == "2026-05-04T10:00:05Z");
  CHECK(*core.cursor(1) < at("2026-05-04T10:00:00Z"));
  // The store takes writes again before the next occurrence: it runs.
  auto again = core.collect_due(at("2026-05-04T10:00:05Z"));
  REQUIRE(again.size() == 1);
  CHECK(again[0].state == RunState::kPending);
  CHECK(text(again[0].occurrence.nominal) == "2026-05-04T10:00:00Z");
  // Still failing past the next occurrence: that one runs, this one is
  // recorded missed. Each is decided once.
  core.on_claim_failed(again[0], at("2026-05-04T10:00:10Z"));
  auto later = core.collect_due(at("2026-05-04T10:05:01Z"));
  REQUIRE(later.size() == 2);
  CHECK(later[0].state == RunState::kMissed);
  CHECK(text(later[0].occurrence.nominal) == "2026-05-04T10:00:00Z");
  CHECK(later[1].state == RunState::kPending);
  CHECK(text(later[1].occurrence.nominal) == "2026-05-04T10:05:00Z");
  settle(core, later);
  CHECK(text(*core.next_wake()) == "2026-05-04T10:10:00Z");
}

TEST_CASE("scheduler: splay is deterministic per schedule id and delays the wake only") {
  CHECK(splay_offset(42, std::chrono::seconds{300}) == splay_offset(42, std::chrono::seconds{300}));
  CHECK(splay_offset(42, std::chrono::seconds{0}).count() == 0);
  std::int64_t lo = 1000;
  std::int64_t hi = -1;
  for (std::int64_t id = 1; id <= 1000; ++id) {
    const auto s = splay_offset(id, std::chrono::seconds{300}).count();
    lo = std::min(lo, s);
    hi = std::max(hi, s);
  }
  CHECK(lo >= 0);
  CHECK(lo < 10);
  CHECK(hi <= 300);
  CHECK(hi > 290);
  SchedulerCore core({});
  ScheduleSpec s = spec(7, "0 9 * * *");
  s.splay = std::chrono::seconds{123};
  core.upsert(s, at("2026-05-04T08:00:00Z"));
  CHECK(text(*core.next_wake()) == "2026-05-04T09:02:03Z");
  CHECK(core.collect_due(at("2026-05-04T09:02:02Z")).empty());
  auto ds = core.collect_due(at("2026-05-04T09:02:03Z"));
  REQUIRE(ds.size() == 1);
  CHECK(text(ds[0].occurrence.nominal) == "2026-05-04T09:00:00Z");  // the key is nominal
}

TEST_CASE("scheduler: the minimum interval rejects schedules that fire too often") {
  reportd::store::Schedule s;
  s.id = 3;
  s.name = "busy";
  s.cron = "* * * * *";
  auto bad = make_spec(s);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("schedule `busy`") == 0);
  CHECK(bad.status().message().find("minimum interval of 300 s") != std::string::npos);
  s.min_interval_seconds = 60;
  CHECK(make_spec(s).ok());
  s.cron = "*/5 * * * *";
  s.min_interval_seconds = 300;
  CHECK(make_spec(s).ok());
  s.tz = "Nowhere/Land";
  CHECK(make_spec(s).status().message().find("schedule `busy`: time zone") == 0);
  s.tz = "UTC";
  s.cron = "61 * * * *";
  CHECK(make_spec(s).status().message().find("schedule `busy`: cron: minute field") == 0);
}

TEST_CASE("scheduler: at run time, fires closer than the minimum interval are skipped") {
  // 01:50 and 02:00 (in the Lord Howe gap, fires at its end, 02:30) are
  // 40 minutes apart on the clock face but only 10 minutes apart in real time.
  SchedulerCore core({});
  ScheduleSpec s = spec(1, "50 1 * * *", "Australia/Lord_Howe");
  s.min_interval = std::chrono::seconds{3600};
  core.upsert(s, at("2026-05-04T00:00:00Z"));
  auto ds = drive(core, at("2026-05-10T00:00:00Z"));
  CHECK(count(ds, RunState::kSkipped) == 0);
  ScheduleSpec t = spec(2, "50,59 1 * * *", "UTC");
  t.min_interval = std::chrono::seconds{600};
  core.upsert(t, at("2026-05-04T00:00:00Z"));
  ds = core.collect_due(at("2026-05-04T01:50:00Z"));
  settle(core, ds);
  ds = core.collect_due(at("2026-05-04T01:59:00Z"));
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].state == RunState::kSkipped);
  CHECK(ds[0].reason.find("min-interval") == 0);
}

TEST_CASE("scheduler: runs recovered after a crash wait for the global and per-org limits") {
  SchedulerOptions o;
  o.global_limit = 3;
  o.per_org_limit = 2;
  SchedulerCore core(o);
  const auto nominal = at("2026-05-04T10:00:00Z");
  // Five unfinished runs: four of org 1, one of org 2.
  for (std::int64_t id = 1; id <= 5; ++id) {
    const std::int64_t org = id == 5 ? 2 : 1;
    CHECK(core.recover(Launch{Occurrence{id, org, nominal}, 100 + id}));
    CHECK(core.busy(id));
  }
  std::vector<Launch> first = core.dispatch();
  std::map<std::int64_t, int> per_org;
  for (const Launch& l : first) ++per_org[l.occurrence.org];
  CHECK(first.size() == 3);
  CHECK(per_org[1] == 2);
  CHECK(per_org[2] == 1);
  CHECK(core.queued() == 2);
  // Each finished run lets one more of org 1 start, never more than two.
  core.on_finished(first[0].occurrence.schedule_id);
  auto next = core.dispatch();
  CHECK(next.size() == (first[0].occurrence.org == 1 ? 1u : 0u));
  CHECK(core.running(1) <= 2);
  // A second unfinished run of a schedule waits behind the first.
  CHECK(core.recover(Launch{Occurrence{9, 3, nominal}, 200}));
  CHECK(core.recover(Launch{Occurrence{9, 3, nominal + std::chrono::seconds(60)}, 201}));
  CHECK_FALSE(core.recover(Launch{Occurrence{9, 3, nominal + std::chrono::seconds(120)}, 202}));
}

TEST_CASE("scheduler: a run waiting behind its schedule's running one still runs once the schedule is removed") {
  SchedulerCore core({});
  const auto nominal = at("2026-05-04T10:00:00Z");
  // A run of schedule 7 goes; another node's run of it, taken over, waits.
  CHECK(core.recover(Launch{Occurrence{7, 1, nominal}, 300}));
  REQUIRE(core.dispatch().size() == 1);
  CHECK(core.recover(Launch{Occurrence{7, 1, nominal + std::chrono::seconds(3)}, 301}));
  CHECK(core.dispatch().empty());
  core.remove(7);  // paused or removed meanwhile
  core.on_finished(7);
  auto next = core.dispatch();
  REQUIRE(next.size() == 1);  // it was dropped, its lease renewed for good
  CHECK(next[0].run_id == 301);
  core.on_finished(7);
  CHECK_FALSE(core.busy(7));
}

TEST_CASE("scheduler: a run taken over from another node starts beside its schedule's run here") {
  SchedulerOptions o;
  o.global_limit = 2;
  SchedulerCore core(o);
  const auto nominal = at("2026-05-04T10:00:00Z");
  // Schedule 7's own run goes here; its run that a dead node held is taken over.
  CHECK(core.recover(Launch{Occurrence{7, 1, nominal + std::chrono::seconds(3)}, 301}));
  REQUIRE(core.dispatch().size() == 1);
  core.take_over(Launch{Occurrence{7, 1, nominal}, 300});
  auto taken = core.dispatch();
  REQUIRE(taken.size() == 1);  // at once, not after 301
  CHECK(taken[0].run_id == 300);
  CHECK(core.running() == 2);
  CHECK(core.running(1) == 2);
  // The next occurrence waits for both: the global limit, and its schedule.
  CHECK(core.recover(Launch{Occurrence{7, 1, nominal + std::chrono::seconds(6)}, 302}));
  CHECK(core.dispatch().empty());
  core.on_finished(7);  // one of them
  CHECK(core.busy(7));
  CHECK(core.running() == 1);
  CHECK(core.dispatch().empty());  // 302 waits for the other
  core.on_finished(7);
  auto next = core.dispatch();
  REQUIRE(next.size() == 1);
  CHECK(next[0].run_id == 302);
  core.on_finished(7);
  CHECK_FALSE(core.busy(7));
  CHECK(core.running() == 0);
}

TEST_CASE("scheduler: a run taken over still waits for the node's limits") {
  SchedulerOptions o;
  o.global_limit = 1;
  SchedulerCore core(o);
  const auto nominal = at("2026-05-04T10:00:00Z");
  CHECK(core.recover(Launch{Occurrence{1, 1, nominal}, 10}));
  REQUIRE(core.dispatch().size() == 1);
  core.take_over(Launch{Occurrence{2, 2, nominal}, 20});
  CHECK(core.dispatch().empty());
  core.on_finished(1);
  auto next = core.dispatch();
  REQUIRE(next.size() == 1);
  CHECK(next[0].run_id == 20);
}
