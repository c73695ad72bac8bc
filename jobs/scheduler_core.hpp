#pragma once
// SchedulerCore: every scheduling decision, as a pure state machine with no
// I/O and no clock of its own (STYLE.md rule 20). It holds the schedules, a
// min-heap of their next due instants, the fair run queue and the run counts.
// Scheduler (the Asio shell) feeds it the time and the store's answers.
// Not thread-safe: one executor owns it.

#include <chrono>
#include <cstdint>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include <date/date.h>

#include "jobs/fair_queue.hpp"
#include "jobs/schedule_spec.hpp"
#include "store/records.hpp"

namespace reportd::jobs {

struct SchedulerOptions {
  int global_limit = 16;  // concurrent runs across all orgs
  int per_org_limit = 4;  // concurrent runs per org (DESIGN.md §4.3)
  // Missed occurrences older than the latest are recorded one by one, up to
  // this many per schedule per wake; the reason of the oldest says how many more.
  int max_missed_records = 100;
  // Longest single sleep: a forward wall-clock step is noticed within it.
  std::chrono::seconds max_sleep{15 * 60};
  // Wall and steady time may drift apart by this much between wakes before
  // it counts as a wall-clock step.
  std::chrono::milliseconds jump_tolerance{2000};
  // Several nodes on one store: how long a node waits before it claims the
  // due occurrences of schedules it does not own (ClaimShare), so that
  // their owner claims them first, and a dead or stalled owner's share is
  // still claimed this late at most.
  std::chrono::milliseconds claim_grace{2000};
};

// This node's share of the due occurrences when several nodes share one
// store (DESIGN.md §4.10): with no leader, each node claims at once the
// occurrences of the schedules it owns, and the others' only after
// SchedulerOptions::claim_grace. The store's unique claim key keeps every
// occurrence claimed once whatever the nodes' views of the share.
struct ClaimShare {
  int rank = 0;   // this node's place among the live nodes
  int nodes = 1;  // the live nodes, this one included
  bool operator==(const ClaimShare&) const = default;
};

// True when a hash of `schedule_id`, modulo share.nodes, is share.rank;
// always with one node. Pure.
bool owns(const ClaimShare& share, std::int64_t schedule_id);

struct Occurrence {
  std::int64_t schedule_id = 0;
  std::int64_t org = 0;
  date::sys_seconds nominal;  // the fire's UTC instant: the store key

  bool operator==(const Occurrence&) const = default;
};

// What to record for one occurrence: kPending (claim, then run), kMissed or
// kSkipped (claim with that state and the reason; nothing runs).
struct Decision {
  Occurrence occurrence;
  store::RunState state = store::RunState::kPending;
  std::string reason;
};

struct Launch {
  Occurrence occurrence;
  std::int64_t run_id = 0;
};

class SchedulerCore {
 public:
  explicit SchedulerCore(const SchedulerOptions& options) : options_(options) {}

  // Adds or replaces a schedule. `cursor` is the latest instant already
  // handled: its last claimed occurrence, or its creation time. Only
  // occurrences after the cursor are ever decided, so nothing fires twice.
  void upsert(const ScheduleSpec& spec, date::sys_seconds cursor);
  void remove(std::int64_t schedule_id);
  std::size_t size() const { return entries_.size(); }
  // The schedule's cursor (latest handled instant), if it is known.
  std::optional<date::sys_seconds> cursor(std::int64_t schedule_id) const;

  // When the earliest occurrence (splay included) is due; nullopt: never.
  std::optional<date::sys_seconds> next_wake() const;

  // Decides every occurrence due at `now` and advances each schedule past it:
  // the latest per schedule runs if within its catch-up deadline and the
  // schedule is not busy; older ones are missed. `context` (e.g. "the wall
  // clock stepped forward 2h") is added to the reasons of missed ones.
  std::vector<Decision> collect_due(date::sys_seconds now, const std::string& context = {});

  // The store's answer to claiming `d`: the run id, or nullopt when the
  // occurrence was claimed already (by this process before a restart, or by
  // another process). A claimed kPending decision joins the fair queue.
  void on_claimed(const Decision& d, std::optional<std::int64_t> run_id);
  // Claiming `d` failed in the store (a full disk, an I/O error): nothing
  // was recorded, so the schedule is walked again from `d`'s occurrence at
  // `retry_at`. The occurrence then runs, or is recorded missed when a later
  // one is due by then (catch-up): it is never lost.
  void on_claim_failed(const Decision& d, date::sys_seconds retry_at);

  // A run claimed before a restart and not finished (crash recovery): it
  // joins the fair queue and waits for the limits like any run. False when
  // its schedule already has an occurrence waiting for a previous run.
  bool recover(const Launch& launch);
  // A run another node held, taken over when its lease expired: it joins
  // the fair queue at once and waits for the global and per-org limits,
  // not for a run of its schedule going or waiting here (it started long
  // before them; waiting, it would end a run later than the take-over
  // bound). Its schedule may then have two runs going on this node.
  void take_over(const Launch& launch);

  // Occurrences that may start now within the global and per-org limits,
  // round-robin across orgs; they count as running until on_finished().
  std::vector<Launch> dispatch();
  void on_finished(std::int64_t schedule_id);

  int running() const { return running_; }
  int running(std::int64_t org) const;
  std::size_t queued() const { return queue_.size(); }
  bool busy(std::int64_t schedule_id) const;

 private:
  struct Entry {
    ScheduleSpec spec;
    date::sys_seconds cursor;
    std::optional<date::sys_seconds> next;  // nominal instant of the next fire
    std::uint64_t generation = 0;
  };
  struct HeapItem {
    date::sys_seconds due;
    std::int64_t schedule_id;
    std::uint64_t generation;
    bool operator>(const HeapItem& o) const { return due > o.due; }
  };

  void arm(Entry& e);
  void decide(Entry& e, date::sys_seconds now, const std::string& context,
              std::vector<Decision>& out);

  SchedulerOptions options_;
  std::unordered_map<std::int64_t, Entry> entries_;
  // Lazy deletion: an item whose generation is not its entry's is stale.
  mutable std::priority_queue<HeapItem, std::vector<HeapItem>, std::greater<>> heap_;
  std::uint64_t next_generation_ = 1;
  // Occurrences per schedule that are decided kPending and not finished:
  // claiming, queued, deferred or running. kSkip allows 1, kQueue 2.
  std::unordered_map<std::int64_t, int> in_flight_;
  std::unordered_map<std::int64_t, int> queued_;  // per schedule, in queue_
  // kQueue: the occurrence waiting for the schedule's previous run to end.
  std::unordered_map<std::int64_t, Launch> deferred_;
  // The nominal instant of each schedule's last kPending decision.
  std::unordered_map<std::int64_t, date::sys_seconds> last_pending_;
  // Schedules with runs going: the org they count against, and how many
  // (two at most: one taken over beside the schedule's own).
  struct Going {
    std::int64_t org = 0;
    int runs = 0;
  };
  std::unordered_map<std::int64_t, Going> running_by_schedule_;
  std::unordered_map<std::int64_t, int> running_by_org_;
  int running_ = 0;
  FairQueue<Launch> queue_;
};

}  // namespace reportd::jobs
