#pragma once
// RunPolicy: the run pipeline's decisions as pure functions of plain values
// (DESIGN.md §4.3, §4.4), with no I/O and no clock of its own: whether a
// fetched result is delivered or skipped, the final state, reason and code of
// a run, whether an error is retried and after how long, and whether the
// API-budget guard lets a run start, defers it or records it missed.
// Randomness for the jitter is passed in. RunPipeline (run_pipeline.hpp) acts
// on these answers; tests/jobs/run_policy_test.cpp holds them in tables.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "salesforce_client/api.hpp"
#include "store/records.hpp"
#include "table/status.hpp"

namespace reportd::jobs {

struct RunPolicyOptions {
  std::chrono::milliseconds retry_initial{2000};  // first backoff; doubles, with jitter
  std::chrono::milliseconds retry_max{60'000};
  // The API-budget guard: a scheduled run is deferred while the org's usage
  // is at or above this percentage of its daily allocation.
  int api_budget_percent = 90;
  // How often a deferred run looks at the org's usage again.
  std::chrono::milliseconds budget_recheck{60'000};
};

// The API-budget guard's test (DESIGN.md §4.3): the org's last reported
// usage is at or above `percent` of its daily allocation. Runs, the sync and
// the write-back all use it.
inline bool over_api_budget(const std::optional<salesforce::ApiUsage>& usage, int percent) {
  return usage && usage->limit > 0 && usage->used * 100 >= usage->limit * percent;
}

// The condition (DESIGN.md §1): deliver, or skip with the reason.
struct Condition {
  bool deliver = true;
  std::string reason;  // why it is skipped; empty when delivered
};

// How a run ended, as the store records it.
struct FinalState {
  store::RunState state = store::RunState::kFailed;
  std::string reason;
  std::string error_code;  // failed runs only; never a record value
};

// What to do about an error from a stage (DESIGN.md §4.4).
enum class ErrorClass {
  kRetry,        // transient: network, timeouts, 5xx, REQUEST_LIMIT_EXCEEDED, SMTP 4xx
  kPermanent,    // fails the run at once, caps the run itself hit included
  kNeedsReauth,  // a Salesforce grant was refused: the connection needs a person
};

struct RetryDecision {
  bool retry = false;
  std::chrono::milliseconds delay{0};  // the wait before the next attempt
};

// The API-budget guard's answer for a run about to start.
struct BudgetDecision {
  enum Action { kRun, kDefer, kMiss } action = kRun;
  std::chrono::milliseconds wait{0};  // kDefer: look again after this long
  std::string reason;                 // kDefer and kMiss: the usage, for people
};

class RunPolicy {
 public:
  explicit RunPolicy(RunPolicyOptions options) : options_(options) {}
  const RunPolicyOptions& options() const { return options_; }

  // No rows without send-when-empty, or fewer rows than min_rows: skipped
  // for that; else `unchanged` (`--when changed`, and the rows hash as the
  // ones last sent): skipped with reason "unchanged".
  static Condition condition(std::int64_t rows, bool send_when_empty, std::int64_t min_rows,
                             bool unchanged = false);

  // The final state of a run whose stages ended with `status`. `condition`
  // is null when the run never got that far; `truncated` flags a Reports
  // API result cut at 2,000 rows; `note` is a reason kept on success (a dry
  // run's summary).
  static FinalState final_state(const Status& status, const Condition* condition,
                                bool truncated, const std::string& note);

  static ErrorClass classify(const Status& status);

  // The backoff after failed attempt `attempt` (1, 2, ...): retry_initial
  // doubled per attempt, capped at retry_max, then scaled into [50%, 100%]
  // by `unit` in [0, 1), so runs that failed together do not retry together.
  std::chrono::milliseconds backoff(int attempt, double unit) const;

  // Retry `status` after attempt `attempt` when it is retryable and the
  // backoff ends before the run's deadline, `left` from now.
  RetryDecision retry(const Status& status, int attempt, std::chrono::milliseconds left,
                      double unit) const;

  // The guard for a scheduled run: run when usage is unknown or below the
  // threshold; else defer, looking again after budget_recheck (never past
  // `until`, the occurrence's catch-up deadline); at or past `until`, miss.
  // Times are wall-clock milliseconds since the epoch.
  BudgetDecision budget(const std::optional<salesforce::ApiUsage>& usage,
                        std::int64_t now_ms, std::int64_t until_ms) const;

 private:
  RunPolicyOptions options_;
};

}  // namespace reportd::jobs
