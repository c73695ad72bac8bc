#include "jobs/run_policy.hpp"

#include <algorithm>

namespace reportd::jobs {

using store::RunState;

Condition RunPolicy::condition(std::int64_t rows, bool send_when_empty, std::int64_t min_rows,
                               bool unchanged) {
  if (rows == 0 && !send_when_empty) return {false, "no rows, and send-when-empty is off"};
  if (rows < min_rows) {
    return {false, std::to_string(rows) + " rows, fewer than the minimum of " +
                       std::to_string(min_rows)};
  }
  if (unchanged) return {false, "unchanged"};
  return {};
}

FinalState RunPolicy::final_state(const Status& status, const Condition* condition,
                                  bool truncated, const std::string& note) {
  if (!status.ok()) {
    // The code stored with a failed run: Salesforce's errorCode or SMTP's,
    // else the error's kind. Never a record value.
    std::string code = status.code().empty() ? std::string(to_string(status.kind())) : status.code();
    return {RunState::kFailed, status.message(), std::move(code)};
  }
  if (condition != nullptr && !condition->deliver) return {RunState::kSkipped, condition->reason, {}};
  if (note.empty() && truncated) {
    return {RunState::kSucceeded,
            "the Reports API returned only the first 2,000 rows (flagged in the email)", {}};
  }
  return {RunState::kSucceeded, note, {}};
}

ErrorClass RunPolicy::classify(const Status& status) {
  switch (status.kind()) {
    case ErrorKind::kTransient:
      return ErrorClass::kRetry;
    case ErrorKind::kAuth:
      return ErrorClass::kNeedsReauth;
    case ErrorKind::kLimit:
      // The org's daily allocation (DESIGN.md §4.4) frees up as the 24 hours
      // roll; every other limit is a cap the run itself hit (too-large, the
      // scratch cap, zip-size, the relay's SIZE) and would be hit again.
      return status.code() == "REQUEST_LIMIT_EXCEEDED" ? ErrorClass::kRetry
                                                       : ErrorClass::kPermanent;
    default:
      return ErrorClass::kPermanent;
  }
}

std::chrono::milliseconds RunPolicy::backoff(int attempt, double unit) const {
  const int doublings = std::clamp(attempt - 1, 0, 16);
  auto base = options_.retry_initial * (1LL << doublings);
  auto capped = std::min<std::chrono::milliseconds>(
      std::chrono::duration_cast<std::chrono::milliseconds>(base), options_.retry_max);
  const double scale = 0.5 + 0.5 * std::clamp(unit, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<long long>(static_cast<double>(capped.count()) * scale));
}

RetryDecision RunPolicy::retry(const Status& status, int attempt, std::chrono::milliseconds left,
                               double unit) const {
  if (classify(status) != ErrorClass::kRetry) return {};
  const std::chrono::milliseconds delay = backoff(attempt, unit);
  if (delay >= left) return {false, delay};
  return {true, delay};
}

BudgetDecision RunPolicy::budget(const std::optional<salesforce::ApiUsage>& usage,
                                 std::int64_t now_ms, std::int64_t until_ms) const {
  if (!over_api_budget(usage, options_.api_budget_percent)) return {};
  BudgetDecision d;
  d.reason = "the org has used " + std::to_string(usage->used) + " of " +
             std::to_string(usage->limit) + " daily API calls (limit " +
             std::to_string(options_.api_budget_percent) + "%, [limits] api_budget_percent)";
  if (now_ms >= until_ms) {
    d.action = BudgetDecision::kMiss;
    d.reason = "api-budget: " + d.reason + " until the occurrence's catch-up deadline";
    return d;
  }
  d.action = BudgetDecision::kDefer;
  d.wait = std::min(options_.budget_recheck, std::chrono::milliseconds(until_ms - now_ms));
  return d;
}

}  // namespace reportd::jobs
