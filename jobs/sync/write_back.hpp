#pragma once
// WriteBack: after each run of a synced schedule, one PATCH onto its
// Reportd_Schedule__c record with Last_Run__c, Last_Status__c,
// Last_Row_Count__c, Last_Error__c (customer_error_text(): a customer-safe
// text and the error code, never the operator's detail in the run's reason),
// Next_Run__c and Next_Fires__c (DESIGN.md §1, §4.7). Skipped while the
// org's API usage is above the budget guard. Lives on the event loop's
// executor; the store is reached through the store thread.

#include <date/date.h>

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "jobs/api_provider.hpp"
#include "jobs/clock.hpp"
#include "store/store_thread.hpp"
#include "store/records.hpp"
#include "table/status.hpp"

namespace reportd::sync {

enum class WriteBackResult {
  kWritten,
  kNotSynced,     // a local schedule, or one that is gone: nothing to write
  kSkippedBudget  // the API-budget guard is active
};

// Last_Status__c for a run's final state: "Succeeded", "Failed", "Skipped".
std::string_view status_word(store::RunState state);

// The PATCH body for `run` (its state, reason, rows and start), the
// schedule's next fire (nullopt: none, written as null) and Next_Fires__c
// (next_fires_text(); empty: null). Pure.
std::string run_status_body(const store::Run& run, std::optional<date::sys_seconds> next_run,
                            std::string_view next_fires = {});

class WriteBack {
 public:
  WriteBack(store::StoreThread& store, jobs::ApiProvider& apis, jobs::Clock& clock,
            int api_budget_percent);

  void set_api_budget_percent(int percent) { api_budget_percent_ = percent; }

  // Writes the outcome of the run of `schedule_id` that just ended. `run`
  // is what the pipeline reported: its state, reason, rows and times (a run
  // without times is taken to have started now). Errors are Salesforce's,
  // with context.
  boost::asio::awaitable<Result<WriteBackResult>> write(std::int64_t schedule_id, store::Run run);

 private:
  store::StoreThread& store_;
  jobs::ApiProvider& apis_;
  jobs::Clock& clock_;
  int api_budget_percent_;
};

}  // namespace reportd::sync
