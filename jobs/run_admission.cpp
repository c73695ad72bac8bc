// RunPipeline::admit(): the cluster-wide caps and scratch budget
// (run_pipeline.hpp, PipelineOptions::cluster_org_limit). Each node's
// scheduler keeps its own caps; with several nodes on one store, a run also
// waits here until the runs going on every node leave room for it
// (store/admission.hpp: one transaction under the store's admission lock),
// and takes its share of the scratch budget in steps (scratch_steps.hpp).
#include <boost/asio/use_awaitable.hpp>

#include "jobs/run_context.hpp"
#include "jobs/run_pipeline.hpp"
#include "jobs/scratch_steps.hpp"
#include "store/admission.hpp"

namespace asio = boost::asio;

namespace reportd::jobs {
namespace {

constexpr std::chrono::milliseconds kRetry{500};

// On the store thread: store::admit_run() with the clock.
struct Admit {
  store::Run run;
  std::int64_t connection_id = 0;
  store::AdmissionCaps caps;
  Clock* clock = nullptr;

  Result<std::optional<store::Run>> operator()(store::Store& s) const {
    Clock* c = clock;
    return store::admit_run(s, run, connection_id, caps,
                            [c] { return c->wall_now().time_since_epoch().count(); });
  }
};

}  // namespace

asio::awaitable<Status> RunPipeline::admit(Context& ctx) {
  for (;;) {
    const store::AdmissionCaps caps{options_.cluster_org_limit, options_.cluster_global_limit,
                                    options_.cluster_scratch_budget,
                                    options_.cluster_scratch_step};
    Admit attempt{ctx.run, ctx.connection.id, caps, &deps_.clock};
    auto admitted = co_await deps_.store.run(attempt);
    if (!admitted.ok()) co_return admitted.status();
    if (*admitted) {
      // Its start time is when it started, not when it began to wait; it
      // holds one step of the scratch budget (every later write of the row
      // keeps what it holds) and takes more as its scratch grows.
      ctx.run = std::move(**admitted);
      co_return Status();
    }
    // Jittered, so that the nodes waiting for one org do not ask in step.
    const auto wait = kRetry + std::chrono::milliseconds(
                                   static_cast<std::int64_t>(random_unit() * kRetry.count()));
    co_await deps_.timer.wait(wait);
  }
}

asio::awaitable<Status> RunPipeline::take_scratch(Context& ctx, std::uint64_t free) {
  if (options_.cluster_scratch_budget <= 0 || ctx.run.scratch_reserved <= 0 || !ctx.outputs) {
    co_return Status();
  }
  const ScratchSteps steps = scratch_steps();
  render::Scratch& scratch = ctx.outputs->scratch();
  const std::int64_t want = scratch_target(steps, scratch.used_bytes(), free);
  if (want > ctx.run.scratch_reserved) {
    const ScratchStepDeps deps{deps_.store, deps_.timer, deps_.clock, [this] { return random_unit(); }};
    Status st = co_await hold_scratch(deps, steps, ctx.run, ctx.connection.id, want);
    if (st.code() == kScratchBudgetCode) {
      // Gives up: its outputs go, and all but its first step with them, now
      // (not after the backoff), so a run waiting for them goes on.
      ctx.outputs->dispose();
      const std::int64_t first = scratch_target(steps, 0, 0);
      (void)co_await hold_scratch(deps, steps, ctx.run, ctx.connection.id, first);
    }
    if (!st.ok()) co_return st;
  }
  scratch.set_grant(static_cast<std::uint64_t>(ctx.run.scratch_reserved));
  co_return Status();
}

asio::awaitable<Status> RunPipeline::restart_scratch(Context& ctx) {
  if (options_.cluster_scratch_budget <= 0 || ctx.run.scratch_reserved <= 0 || !ctx.outputs) {
    co_return Status();
  }
  const ScratchSteps steps = scratch_steps();
  const std::int64_t want = std::max(scratch_target(steps, 0, 0), ctx.scratch_floor);
  const ScratchStepDeps deps{deps_.store, deps_.timer, deps_.clock, [this] { return random_unit(); }};
  if (Status st = co_await hold_scratch(deps, steps, ctx.run, ctx.connection.id, want); !st.ok()) {
    co_return st;
  }
  ctx.outputs->scratch().set_grant(static_cast<std::uint64_t>(ctx.run.scratch_reserved));
  ctx.scratch_at_page = 0;
  co_return Status();
}

asio::awaitable<Status> RunPipeline::pace_scratch(Context& ctx) {
  if (!ctx.outputs) co_return Status();
  const std::uint64_t used = ctx.outputs->scratch().used_bytes();
  const std::uint64_t grown = used > ctx.scratch_at_page ? used - ctx.scratch_at_page : 0;
  ctx.scratch_at_page = used;
  const auto half_step = static_cast<std::uint64_t>(options_.cluster_scratch_step) / 2;
  co_return co_await take_scratch(ctx, std::max<std::uint64_t>(2 * grown, half_step));
}

void RunPipeline::note_scratch_failure(Context& ctx, const Status& st) {
  if (st.code() != render::kScratchStepCode || !ctx.outputs) return;
  // A part larger than the room left: twice what it reached, next time.
  const std::uint64_t used = ctx.outputs->scratch().used_bytes();
  ctx.scratch_floor = std::max(ctx.scratch_floor,
                               scratch_target(scratch_steps(), 2 * used,
                                              static_cast<std::uint64_t>(options_.cluster_scratch_step)));
}

ScratchSteps RunPipeline::scratch_steps() const {
  ScratchSteps steps;
  steps.budget = options_.cluster_scratch_budget;
  steps.step = options_.cluster_scratch_step;
  steps.max = static_cast<std::int64_t>(options_.outputs.scratch.cap_bytes);
  return steps;
}

}  // namespace reportd::jobs
