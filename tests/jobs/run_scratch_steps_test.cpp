// The run's share of the nodes' shared scratch budget (jobs/scratch_steps.hpp):
// taken in steps page by page, waited for (bounded) when the budget has no
// room, given back when the run ends or gives up. A real SQLite store
// through a LeasedStore, as a node writes; a second LeasedStore is "another
// node" holding part of the budget.
#include <doctest/doctest.h>

#include "jobs/scratch_steps.hpp"
#include "store/leased_store.hpp"
#include "tests/jobs/run_pipeline_fixture.hpp"

namespace {

// Steps well above the CSV renderer's 64 KiB writes, as 16 MiB are in the daemon.
constexpr std::int64_t kStep = 512 << 10;
constexpr std::int64_t kBudget = 6 * kStep;  // 3 MiB
constexpr std::int64_t kRunCap = 4 * kStep;  // scratch_max_bytes: 2 MiB

struct StepsFixture : Fixture {
  std::function<std::int64_t()> now = [this] { return clock.wall_now().time_since_epoch().count(); };
  store::LeasedStore node{*db, *db, store::LeaseOptions{"node-a", std::chrono::hours(1), now, {}}};

  explicit StepsFixture(const char* name) : Fixture(name) {
    store_thread = std::make_unique<store::StoreThread>(node);
    options.cluster_org_limit = 10;
    options.cluster_global_limit = 10;
    options.cluster_scratch_budget = kBudget;
    options.cluster_scratch_step = kStep;
    options.outputs.scratch.cap_bytes = static_cast<std::uint64_t>(kRunCap);
    options.run_deadline = std::chrono::minutes(5);
    // About 1.6 MB of CSV in 100 pages: several steps, and with the room to
    // finish it, more than half the budget.
    acme.rows = 90'000;
    acme.pages = 100;
  }
  std::int64_t claim_leased(std::int64_t schedule_id) {
    const std::int64_t at = now();
    auto id = node.claim_occurrence(schedule_id, at / 1000, RunState::kPending, "", at);
    REQUIRE((id.ok() && id->has_value()));
    return **id;
  }
  RunOutcome run_leased(std::int64_t schedule_id) {
    if (!pipeline) make();
    const std::int64_t id = claim_leased(schedule_id);
    return test::run_virtual(io, clock, pipeline->execute(id), workers());
  }
  // A run of another node that holds `bytes` of the budget for `lease`.
  void other_node_holds(std::int64_t bytes, std::chrono::milliseconds lease) {
    store::LeasedStore other(*db, *db, store::LeaseOptions{"node-b", lease, now, {}});
    const std::int64_t at = now() - 3'600'000;  // an occurrence of its own
    auto id = other.claim_occurrence(globex_sched, at / 1000, RunState::kPending, "", now());
    REQUIRE((id.ok() && id->has_value()));
    store::Run r = *db->get_run(**id);
    r.state = RunState::kRunning;
    r.started_at_ms = now();
    r.scratch_reserved = bytes;
    REQUIRE(other.update_run(r).ok());
  }
};

}  // namespace

TEST_CASE("scratch steps: a run takes its share page by page, and gives it back when it ends") {
  StepsFixture f("reportd-steps-grow.db");
  RunOutcome o = f.run_leased(f.acme_sched);
  REQUIRE_MESSAGE(o.state == RunState::kSucceeded, o.reason);
  CHECK(o.record.bytes > 2 * kStep);  // it outgrew its first step several times
  CHECK(f.acme.queries == 1);          // each step came before its page: no write was refused
  CHECK(f.row(o).scratch_reserved == 0);
}

TEST_CASE("scratch steps: a step the budget cannot give is waited for, then the run fails, retryable") {
  StepsFixture f("reportd-steps-full.db");
  // Another node's run holds all but one first step, for as long as this test.
  f.other_node_holds(kBudget - kStep, std::chrono::hours(2));
  f.options.policy.retry_initial = std::chrono::hours(1);  // no retry within the deadline
  f.options.policy.retry_max = std::chrono::hours(1);
  const auto began = f.clock.steady_now();
  RunOutcome o = f.run_leased(f.acme_sched);
  CHECK(o.state == RunState::kFailed);
  CHECK_MESSAGE(o.record.error_code == kScratchBudgetCode, o.reason);
  CHECK(o.reason.find("limits.scratch_budget_bytes") != std::string::npos);
  const auto waited = f.clock.steady_now() - began;
  CHECK(waited >= std::chrono::seconds(20));
  CHECK(waited < std::chrono::seconds(40));
  CHECK(f.row(o).scratch_reserved == 0);
}

TEST_CASE("scratch steps: a run waiting for a step goes on when another node's run lets go") {
  StepsFixture f("reportd-steps-wait.db");
  // That node dies: its run's bytes count until its lease expires, 5 s on.
  f.other_node_holds(kBudget - kStep, std::chrono::seconds(5));
  RunOutcome o = f.run_leased(f.acme_sched);
  REQUIRE_MESSAGE(o.state == RunState::kSucceeded, o.reason);
  CHECK(f.acme.queries == 1);
  CHECK(o.record.bytes > 2 * kStep);
}

TEST_CASE("scratch steps: two runs that each need most of the budget both end; neither waits for good") {
  StepsFixture f("reportd-steps-two.db");
  f.globex.rows = f.acme.rows;
  f.globex.pages = f.acme.pages;
  // The jitter the daemon draws at random: each run's bound differs.
  f.random = [n = 0u]() mutable { return static_cast<double>((n += 7) % 10) / 10.0; };
  // Each run needs its whole cap (4 of the 6 steps) to finish: the two cannot
  // go together, and each grows until the budget is full.
  f.make();
  const std::int64_t a = f.claim_leased(f.acme_sched);
  const std::int64_t b = f.claim_leased(f.globex_sched);
  f.pipeline->spawn(f.acme_sched, a);
  f.pipeline->spawn(f.globex_sched, b);
  test::run_until(f.io, f.clock, f.workers(), [&] { return f.observer.finished.size() == 2; });
  for (const auto& [sched, run] : f.observer.finished) {
    CHECK_MESSAGE(run.state == RunState::kSucceeded, run.reason);
    CHECK(run.scratch_reserved == 0);
  }
  // One of them gave up its steps at least once and fetched again.
  CHECK(f.acme.queries + f.globex.queries >= 3);
}
