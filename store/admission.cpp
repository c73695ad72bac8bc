#include "store/admission.hpp"

#include <algorithm>

namespace reportd::store {

Result<std::optional<Run>> admit_run(Store& store, const Run& run, std::int64_t connection_id,
                                     const AdmissionCaps& caps,
                                     const std::function<std::int64_t()>& now_ms) {
  std::optional<Run> admitted;
  Status st = store.transaction([&](Store& tx) -> Status {
    admitted.reset();
    auto counts = tx.lock_running_counts(connection_id, now_ms());
    if (!counts.ok()) return counts.status();
    if (!*counts) return {};
    const RunningCounts& c = **counts;
    if (c.org >= caps.org_limit || c.all >= caps.global_limit) return {};
    if (caps.scratch_budget > 0 && c.scratch + caps.scratch_reserve > caps.scratch_budget) return {};
    Run row = run;
    row.started_at_ms = now_ms();
    row.scratch_reserved = caps.scratch_budget > 0 ? caps.scratch_reserve : 0;
    if (Status w = tx.update_run(row); !w.ok()) return w;
    admitted = std::move(row);
    return {};
  });
  if (!st.ok()) return st;
  return admitted;
}

Result<ScratchGrant> grow_scratch(Store& store, const Run& run, std::int64_t held,
                                  std::int64_t connection_id, std::int64_t budget,
                                  std::int64_t now_ms) {
  if (run.scratch_reserved <= held) {
    Status st = store.update_run(run);
    if (!st.ok()) return st;
    return ScratchGrant::kGranted;
  }
  ScratchGrant result = ScratchGrant::kBusy;
  Status st = store.transaction([&](Store& tx) -> Status {
    result = ScratchGrant::kBusy;
    auto counts = tx.lock_running_counts(connection_id, now_ms);
    if (!counts.ok()) return counts.status();
    if (!*counts) return {};
    // Its own `held` bytes count among them: the write below is fenced, so
    // it commits only while the run's lease is unexpired (and so counted).
    const std::int64_t others = std::max<std::int64_t>(0, (*counts)->scratch - held);
    if (others + run.scratch_reserved > budget) {
      result = ScratchGrant::kNoRoom;
      return {};
    }
    if (Status w = tx.update_run(run); !w.ok()) return w;
    result = ScratchGrant::kGranted;
    return {};
  });
  if (!st.ok()) return st;
  return result;
}

}  // namespace reportd::store
