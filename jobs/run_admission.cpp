// RunPipeline::admit(): the cluster-wide concurrency caps (run_pipeline.hpp,
// PipelineOptions::cluster_org_limit). Each node's scheduler keeps its own
// caps; with several nodes on one store, a run also waits here until the
// runs going on every node leave room for it. The count and the run's
// `running` row are one transaction under the store's admission lock, so two
// nodes never both take the last slot; the lock is tried, never waited for.
#include <boost/asio/use_awaitable.hpp>

#include "jobs/run_context.hpp"
#include "jobs/run_pipeline.hpp"

namespace asio = boost::asio;

namespace reportd::jobs {
namespace {

constexpr std::chrono::milliseconds kRetry{500};

// On the store thread: the time the run started (ms) when admitted (saved
// running), else 0. The start time is read there, after the count under the
// admission lock, so that it follows the end (and the commit) of the run
// whose slot it takes, whichever node ran it: read before the lock, it
// could precede that run's recorded end, and two runs would seem to
// overlap.
struct Admit {
  store::Run run;
  std::int64_t org = 0;
  int org_limit = 0;
  int global_limit = 0;
  Clock* clock = nullptr;

  Result<std::int64_t> operator()(store::Store& s) const {
    store::Run row = run;
    bool admitted = false;
    Status st = s.transaction([&](store::Store& tx) -> Status {
      auto counts = tx.lock_running_counts(org, clock->wall_now().time_since_epoch().count());
      if (!counts.ok()) return counts.status();
      if (!*counts || (*counts)->org >= org_limit || (*counts)->all >= global_limit) return {};
      admitted = true;
      row.started_at_ms = clock->wall_now().time_since_epoch().count();
      return tx.update_run(row);
    });
    if (!st.ok()) return st;
    return admitted ? row.started_at_ms : std::int64_t{0};
  }
};

}  // namespace

asio::awaitable<Status> RunPipeline::admit(Context& ctx) {
  for (;;) {
    Admit attempt{ctx.run, ctx.connection.id, options_.cluster_org_limit,
                  options_.cluster_global_limit, &deps_.clock};
    auto started = co_await deps_.store.run(attempt);
    if (!started.ok()) co_return started.status();
    if (*started > 0) {
      ctx.run.started_at_ms = *started;  // when it started, not when it began to wait
      co_return Status();
    }
    // Jittered, so that the nodes waiting for one org do not ask in step.
    const auto wait = kRetry + std::chrono::milliseconds(
                                   static_cast<std::int64_t>(random_unit() * kRetry.count()));
    co_await deps_.timer.wait(wait);
  }
}

}  // namespace reportd::jobs
