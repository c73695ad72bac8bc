// RunPolicy in tables: the condition, the final state, the error classes,
// the backoff with its jitter, the retry decision within the deadline, and
// the API-budget guard. Pure: no clock, no I/O.
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

#include "jobs/run_policy.hpp"

using namespace reportd;        // NOLINT: test file
using namespace reportd::jobs;  // NOLINT: test file
using std::chrono::milliseconds;
using store::RunState;

TEST_CASE("run policy: the condition delivers or skips with the reason") {
  // README "Conditions" is this table.
  struct Row {
    std::int64_t rows;
    bool send_when_empty;
    std::int64_t min_rows;
    bool unchanged;  // --when changed, and the rows hash as the last sent
    bool deliver;
    const char* reason;
  };
  const std::vector<Row> table = {
      {0, false, 0, false, false, "no rows, and send-when-empty is off"},
      {0, false, 0, true, false, "no rows, and send-when-empty is off"},
      {0, true, 0, false, true, ""},
      {0, true, 0, true, false, "unchanged"},
      {5, false, 0, false, true, ""},
      {4, false, 5, false, false, "4 rows, fewer than the minimum of 5"},
      {4, false, 5, true, false, "4 rows, fewer than the minimum of 5"},
      {5, false, 5, false, true, ""},
      {5, false, 5, true, false, "unchanged"},
      {0, true, 1, false, false, "0 rows, fewer than the minimum of 1"},
  };
  for (const Row& r : table) {
    CAPTURE(r.rows);
    CAPTURE(r.min_rows);
    CAPTURE(r.unchanged);
    Condition c = RunPolicy::condition(r.rows, r.send_when_empty, r.min_rows, r.unchanged);
    CHECK(c.deliver == r.deliver);
    CHECK(c.reason == r.reason);
  }
}

TEST_CASE("run policy: the final state, reason and code") {
  const Condition skip{false, "no rows, and send-when-empty is off"};
  const Condition go{};
  struct Row {
    Status status;
    const Condition* condition;
    bool truncated;
    std::string note;
    RunState state;
    std::string reason;
    std::string code;
  };
  const std::vector<Row> table = {
      {Status(), &go, false, "", RunState::kSucceeded, "", ""},
      {Status(), &skip, false, "", RunState::kSkipped, skip.reason, ""},
      {Status(), &go, true, "", RunState::kSucceeded,
       "the Reports API returned only the first 2,000 rows (flagged in the email)", ""},
      {Status(), &go, true, "dry run: 1 file(s)", RunState::kSucceeded, "dry run: 1 file(s)", ""},
      {Status::error(ErrorKind::kPermanent, "salesforce: 400 MALFORMED_QUERY", "MALFORMED_QUERY"),
       nullptr, false, "", RunState::kFailed, "salesforce: 400 MALFORMED_QUERY", "MALFORMED_QUERY"},
      // No code of its own: the kind names it.
      {Status::error(ErrorKind::kIo, "disk full"), nullptr, false, "", RunState::kFailed,
       "disk full", "io"},
      // A failure after the condition said deliver is still a failure.
      {Status::error(ErrorKind::kTransient, "smtp: 451", "smtp-451"), &go, false, "",
       RunState::kFailed, "smtp: 451", "smtp-451"},
  };
  for (const Row& r : table) {
    CAPTURE(r.reason);
    FinalState f = RunPolicy::final_state(r.status, r.condition, r.truncated, r.note);
    CHECK(f.state == r.state);
    CHECK(f.reason == r.reason);
    CHECK(f.error_code == r.code);
  }
}

TEST_CASE("run policy: which errors are retried") {
  struct Row {
    ErrorKind kind;
    const char* code;
    ErrorClass expected;
  };
  const std::vector<Row> table = {
      {ErrorKind::kTransient, "SERVER_UNAVAILABLE", ErrorClass::kRetry},
      {ErrorKind::kTransient, "smtp-451", ErrorClass::kRetry},
      {ErrorKind::kTransient, "", ErrorClass::kRetry},
      {ErrorKind::kLimit, "REQUEST_LIMIT_EXCEEDED", ErrorClass::kRetry},
      // Caps the run itself hit come back the same way: never retried.
      {ErrorKind::kLimit, "too-large", ErrorClass::kPermanent},
      {ErrorKind::kLimit, "zip-size", ErrorClass::kPermanent},
      {ErrorKind::kLimit, "scratch-full", ErrorClass::kPermanent},
      {ErrorKind::kLimit, "deadline", ErrorClass::kPermanent},
      {ErrorKind::kLimit, "", ErrorClass::kPermanent},
      {ErrorKind::kAuth, "invalid_grant", ErrorClass::kNeedsReauth},
      {ErrorKind::kPermanent, "MALFORMED_QUERY", ErrorClass::kPermanent},
      {ErrorKind::kPermanent, "smtp-550", ErrorClass::kPermanent},
      {ErrorKind::kIo, "", ErrorClass::kPermanent},
      {ErrorKind::kInternal, "internal", ErrorClass::kPermanent},
  };
  for (const Row& r : table) {
    CAPTURE(r.code);
    CHECK(RunPolicy::classify(Status::error(r.kind, "x", r.code)) == r.expected);
  }
}

TEST_CASE("run policy: backoff doubles from 2 s to 60 s, jittered into [50%, 100%]") {
  RunPolicy p(RunPolicyOptions{});
  struct Row {
    int attempt;
    double unit;
    long long ms;
  };
  const std::vector<Row> table = {
      {1, 0.0, 1000},   {1, 0.5, 1500},  {1, 0.999999, 1999}, {2, 0.0, 2000},
      {3, 1.0, 8000},   {5, 1.0, 32000}, {6, 1.0, 60000},     {6, 0.0, 30000},
      {40, 1.0, 60000}, {0, 1.0, 2000},  {2, -3.0, 2000},
  };
  for (const Row& r : table) {
    CAPTURE(r.attempt);
    CAPTURE(r.unit);
    CHECK(p.backoff(r.attempt, r.unit).count() == r.ms);
  }
}

TEST_CASE("run policy: a retry happens only when its backoff ends within the deadline") {
  RunPolicy p(RunPolicyOptions{});
  const Status transient = Status::error(ErrorKind::kTransient, "503", "SERVER_UNAVAILABLE");
  const Status too_large = Status::error(ErrorKind::kLimit, "too large", "too-large");
  const Status grant = Status::error(ErrorKind::kAuth, "invalid_grant", "invalid_grant");
  struct Row {
    Status status;
    int attempt;
    long long left_ms;
    bool retry;
    long long delay_ms;
  };
  const std::vector<Row> table = {
      {transient, 1, 60'000, true, 2000},  {transient, 3, 60'000, true, 8000},
      {transient, 3, 8'000, false, 8000},  {transient, 3, 8'001, true, 8000},
      {transient, 1, 0, false, 2000},      {too_large, 1, 60'000, false, 0},
      {grant, 1, 60'000, false, 0},
  };
  for (const Row& r : table) {
    CAPTURE(r.status.code());
    CAPTURE(r.attempt);
    RetryDecision d = p.retry(r.status, r.attempt, milliseconds(r.left_ms), 1.0);
    CHECK(d.retry == r.retry);
    CHECK(d.delay.count() == r.delay_ms);
  }
}

TEST_CASE("run policy: the API-budget guard runs, defers until the catch-up deadline, then misses") {
  RunPolicyOptions o;
  o.api_budget_percent = 90;
  o.budget_recheck = milliseconds(60'000);
  RunPolicy p(o);
  using U = std::optional<salesforce::ApiUsage>;
  struct Row {
    U usage;
    std::int64_t now_ms;
    std::int64_t until_ms;
    BudgetDecision::Action action;
    long long wait_ms;
  };
  const std::vector<Row> table = {
      {std::nullopt, 0, 1'000'000, BudgetDecision::kRun, 0},  // nothing learnt yet
      {U({100, 0}), 0, 1'000'000, BudgetDecision::kRun, 0},   // no allocation reported
      {U({89, 100}), 0, 1'000'000, BudgetDecision::kRun, 0},
      {U({90, 100}), 0, 1'000'000, BudgetDecision::kDefer, 60'000},
      {U({99, 100}), 990'000, 1'000'000, BudgetDecision::kDefer, 10'000},
      {U({99, 100}), 1'000'000, 1'000'000, BudgetDecision::kMiss, 0},
      {U({99, 100}), 5'000'000, 0, BudgetDecision::kMiss, 0},  // `run --now`: no waiting
  };
  for (const Row& r : table) {
    CAPTURE(r.now_ms);
    BudgetDecision d = p.budget(r.usage, r.now_ms, r.until_ms);
    CHECK(d.action == r.action);
    CHECK(d.wait.count() == r.wait_ms);
    if (d.action == BudgetDecision::kMiss) {
      CHECK(d.reason.rfind("api-budget: the org has used 99 of 100 daily API calls", 0) == 0);
    }
  }
}
