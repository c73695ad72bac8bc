#pragma once
// Admission of a run on one of several nodes sharing a store (DESIGN.md
// §4.10): [limits] max_runs_per_org, max_concurrent_runs and
// scratch_budget_bytes hold for all nodes together. admit_run() counts the
// runs going on every node and the scratch they hold, and marks the run
// running, in one transaction under the store's admission lock
// (Store::lock_running_counts), so two nodes never both take the last slot
// or the last bytes. The lock is tried, never waited for. A run admitted
// holds a first step of the scratch budget; grow_scratch() takes more as
// its scratch grows, under the same lock and count.

#include <cstdint>
#include <functional>
#include <optional>

#include "store/store.hpp"

namespace reportd::store {

struct AdmissionCaps {
  std::int64_t org_limit = 0;        // runs of one org going at once
  std::int64_t global_limit = 0;     // runs going at once
  std::int64_t scratch_budget = 0;   // bytes all runs' scratch may hold; 0: not counted
  std::int64_t scratch_reserve = 0;  // what this run holds of it at first (its first step)
};

// Writes `run` (the caller set it running) with started_at_ms read after
// the count (so it follows the recorded end of the run whose slot it
// takes) and scratch_reserved, when the runs going on every node leave
// room under `caps` for the org of `connection_id`; returns the row
// written. nullopt: no room, or another node holds the lock; try again
// shortly. Through a LeasedStore the write is fenced, as every run write.
Result<std::optional<Run>> admit_run(Store& store, const Run& run, std::int64_t connection_id,
                                     const AdmissionCaps& caps,
                                     const std::function<std::int64_t()>& now_ms);

// What grow_scratch() did.
enum class ScratchGrant {
  kGranted,  // the run's row holds the bytes asked for
  kNoRoom,   // the runs going on every node hold too much of the budget
  kBusy,     // another node holds the admission lock: ask again shortly
};

// Sets the scratch budget `run` holds (its row, with scratch_reserved the
// new amount; the caller's copy, as the pipeline would save it) from
// `held`. Growing counts, under the admission lock, what the runs going on
// every node hold (this run's `held` among them) and writes the row only
// when the growth fits `budget`; shrinking writes it at once. Through a
// LeasedStore the write is fenced: a run whose lease was lost gets
// kLeaseLost and nothing is written.
Result<ScratchGrant> grow_scratch(Store& store, const Run& run, std::int64_t held,
                                  std::int64_t connection_id, std::int64_t budget,
                                  std::int64_t now_ms);

}  // namespace reportd::store
