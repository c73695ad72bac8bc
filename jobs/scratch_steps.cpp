#include "jobs/scratch_steps.hpp"

#include <algorithm>
#include <string>

#include "store/admission.hpp"

namespace reportd::jobs {

namespace asio = boost::asio;

namespace {

constexpr std::chrono::milliseconds kStepRetry{500};

// On the store thread: store::grow_scratch() with the clock.
struct GrowScratch {
  store::Run row;
  std::int64_t held = 0;
  std::int64_t connection_id = 0;
  std::int64_t budget = 0;
  Clock* clock = nullptr;

  Result<store::ScratchGrant> operator()(store::Store& s) const {
    return store::grow_scratch(s, row, held, connection_id, budget,
                               clock->wall_now().time_since_epoch().count());
  }
};

Status no_room(const ScratchSteps& steps, std::int64_t more) {
  return Status::error(
      ErrorKind::kTransient,
      "the nodes' shared scratch budget (limits.scratch_budget_bytes, " +
          std::to_string(steps.budget) + " bytes) had no room for " + std::to_string(more) +
          " more bytes of this run's outputs for " + std::to_string(steps.wait.count() / 1000) +
          " s: runs on every node hold it; raise limits.scratch_budget_bytes, or lower "
          "limits.max_concurrent_runs",
      kScratchBudgetCode);
}

}  // namespace

std::int64_t scratch_target(const ScratchSteps& steps, std::uint64_t used, std::uint64_t free) {
  const std::int64_t step = std::max<std::int64_t>(1, steps.step);
  const std::int64_t need = static_cast<std::int64_t>(used + free);
  const std::int64_t whole = std::max<std::int64_t>(1, (need + step - 1) / step) * step;
  return std::min(whole, std::max(steps.max, step));
}

asio::awaitable<Status> hold_scratch(const ScratchStepDeps& deps, const ScratchSteps& steps,
                                     store::Run& run, std::int64_t connection_id,
                                     std::int64_t want) {
  if (want == run.scratch_reserved) co_return Status();
  const auto since = deps.clock.steady_now();
  // Jittered, so that two runs stuck waiting for each other's bytes do not
  // give up at the same moment: the first to give up frees its steps, and
  // the other, still waiting, takes them.
  const double spread = deps.random ? deps.random() : 0.5;
  const auto bound = steps.wait + std::chrono::milliseconds(static_cast<std::int64_t>(
                                      spread * static_cast<double>(steps.wait.count()) / 2));
  for (;;) {
    GrowScratch grow{run, run.scratch_reserved, connection_id, steps.budget, &deps.clock};
    grow.row.scratch_reserved = want;
    auto granted = co_await deps.store.run(grow);
    if (!granted.ok()) co_return granted.status();
    if (*granted == store::ScratchGrant::kGranted) {
      run.scratch_reserved = want;
      co_return Status();
    }
    if (deps.clock.steady_now() - since >= bound) {
      co_return no_room(steps, want - run.scratch_reserved);
    }
    const double unit = deps.random ? deps.random() : 0.5;
    const auto pause = kStepRetry + std::chrono::milliseconds(
                                        static_cast<std::int64_t>(unit * kStepRetry.count()));
    if (!co_await deps.timer.wait(pause)) co_return no_room(steps, want - run.scratch_reserved);
  }
}

}  // namespace reportd::jobs
