#pragma once
// RunPipeline::Context: what one run carries from stage to stage. Private to
// run_pipeline.cpp and run_stages.cpp.

#include <exception>
#include <memory>
#include <optional>
#include <vector>

#include <date/tz.h>

#include "jobs/run_pipeline.hpp"

namespace reportd::jobs {

struct RunPipeline::Context {
  store::Run run;
  store::Schedule schedule;
  store::Connection connection;
  const date::time_zone* zone = nullptr;
  salesforce::Api* api = nullptr;
  // Keeps the org's client this run started with alive for the whole run,
  // even if another run or a sync forgets it meanwhile.
  std::shared_ptr<salesforce::Api> api_lease;
  std::unique_ptr<RunOutputs> outputs;
  std::vector<deliver::OutputRef> refs;  // views of the finished outputs
  std::optional<Condition> condition;    // set once the fetch succeeded
  std::optional<ChangeDigest> digest;    // `--when changed`: the rows' keyed hash
  Clock::SteadyTime deadline;
  // When this execution began: deliveries finished since are its own.
  std::int64_t began_ms = 0;
  bool marked_needs_reauth = false;
  std::string run_as_user;  // empty: the integration user (run_as.hpp)
  // The report's detail columns as the integration user sees them, read
  // once per run when it runs as a user (fetch_report).
  std::optional<std::vector<salesforce::ReportColumn>> report_columns;
  std::vector<deliver::SentTiming> sent_commit_windows;  // every email attempt's
  // The run's share of the nodes' scratch budget (run_admission.cpp): what
  // its next fetch attempt starts with, and its scratch at the last page.
  std::int64_t scratch_floor = 0;
  std::uint64_t scratch_at_page = 0;
  std::exception_ptr crashed;  // what a stage threw (a bug), rethrown by bounded()

  ~Context() {
    if (outputs) outputs->dispose();  // zeroed whatever happened (DESIGN.md §4.5)
  }
};

}  // namespace reportd::jobs
