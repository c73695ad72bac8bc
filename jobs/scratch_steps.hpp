#pragma once
// The share of the nodes' shared scratch budget ([limits]
// scratch_budget_bytes) one run holds, taken in steps as its scratch grows
// (DESIGN.md §4.10). A run admitted holds one step (store/admission.hpp);
// before each page of data, before its outputs are finished and before
// they are delivered, the pipeline asks hold_scratch() for what the next
// part may add, and the run's Scratch refuses a write past what it holds
// (render::Scratch::set_grant), so the budget holds while data arrives.
// When the budget has no room, the run waits for it (no data arrives
// meanwhile), bounded: past `wait` (plus up to half of it, at random) it
// fails kTransient with code "scratch-budget", disposes its outputs and
// gives back all but its first step at once, and its retry fetches again
// after a backoff. So two growing runs never wait for each other for good:
// the first to give up frees its steps for the other.

#include <chrono>
#include <cstdint>
#include <functional>

#include <boost/asio/awaitable.hpp>

#include "jobs/clock.hpp"
#include "jobs/timer.hpp"
#include "salesforce_client/api.hpp"
#include "store/store_thread.hpp"

namespace reportd::jobs {

// The error of a run that waited for a step in vain.
inline constexpr const char* kScratchBudgetCode = "scratch-budget";

struct ScratchSteps {
  std::int64_t budget = 0;  // all nodes' runs together; 0: not counted (one node)
  std::int64_t step = 0;    // what a run holds when admitted, and each step after
  std::int64_t max = 0;     // the run's own cap (scratch_max_bytes): never more
  std::chrono::milliseconds wait{20'000};  // a step is waited for this long, and up to half more
};

struct ScratchStepDeps {
  store::StoreThread& store;
  Timer& timer;
  Clock& clock;
  std::function<double()> random;  // uniform in [0, 1), the waits' jitter
};

// The bytes `run` should hold to have `free` more beside `used`: whole
// steps, at least one, at most steps.max.
std::int64_t scratch_target(const ScratchSteps& steps, std::uint64_t used, std::uint64_t free);

// Makes `run` (its row as the pipeline saves it; scratch_reserved updated
// on success) hold `want` bytes of the budget: grown under the admission
// lock when the runs going on every node leave room, waiting 0.5-1 s
// between tries up to steps.wait (and up to half more); shrunk at once.
// Fenced (LeasedStore). kScratchBudgetCode when no room came in time.
boost::asio::awaitable<Status> hold_scratch(const ScratchStepDeps& deps, const ScratchSteps& steps,
                                            store::Run& run, std::int64_t connection_id,
                                            std::int64_t want);

// A sink that forwards to `next` and awaits `before` before each page after
// the first (salesforce::PacedSink).
class ScratchPacer final : public salesforce::PacedSink {
 public:
  ScratchPacer(table::RowSink& next, std::function<boost::asio::awaitable<Status>()> before)
      : next_(next), before_(std::move(before)) {}
  Status begin(const table::TableHeader& header) override { return next_.begin(header); }
  Status row(std::span<const table::Cell> cells) override { return next_.row(cells); }
  Status end(const table::TableFooter& footer) override { return next_.end(footer); }
  Status group(const table::GroupStart& start) override { return next_.group(start); }
  Status subtotal(const table::Subtotal& total) override { return next_.subtotal(total); }
  boost::asio::awaitable<Status> before_page() override { return before_(); }

 private:
  table::RowSink& next_;
  std::function<boost::asio::awaitable<Status>()> before_;
};

}  // namespace reportd::jobs
