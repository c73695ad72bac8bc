// RunPipeline::admit(): the cluster-wide caps and scratch budget
// (run_pipeline.hpp, PipelineOptions::cluster_org_limit). Each node's
// scheduler keeps its own caps; with several nodes on one store, a run also
// waits here until the runs going on every node leave room for it
// (store/admission.hpp: one transaction under the store's admission lock).
#include <boost/asio/use_awaitable.hpp>

#include "jobs/run_context.hpp"
#include "jobs/run_pipeline.hpp"
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
                                    options_.cluster_scratch_reserve};
    Admit attempt{ctx.run, ctx.connection.id, caps, &deps_.clock};
    auto admitted = co_await deps_.store.run(attempt);
    if (!admitted.ok()) co_return admitted.status();
    if (*admitted) {
      // Its start time is when it started, not when it began to wait; its
      // scratch reservation is held until it ends (every later write of the
      // row keeps it).
      ctx.run = std::move(**admitted);
      co_return Status();
    }
    // Jittered, so that the nodes waiting for one org do not ask in step.
    const auto wait = kRetry + std::chrono::milliseconds(
                                   static_cast<std::int64_t>(random_unit() * kRetry.count()));
    co_await deps_.timer.wait(wait);
  }
}

}  // namespace reportd::jobs
