#pragma once
// Whose Salesforce access a run uses (DESIGN.md §4.9), decided before the
// run touches Salesforce, and what Salesforce's refusal of that user means
// for the customer's admin. Nothing falls back to the integration user:
// a run that cannot act as its user fails, naming the user and the fix.
// Pure functions.

#include <set>
#include <string>

#include "store/records.hpp"
#include "table/status.hpp"

namespace reportd::jobs {

struct RunAsRules {
  // Connections (by name) whose synced schedules may run as the integration
  // user (`[connections.NAME] allow_integration = true`); for the others a
  // synced schedule set to run as the integration user is refused.
  std::set<std::string> integration_allowed;
};

struct RunAsChoice {
  std::string username;  // empty: the integration user (the connection's own grant)
  Status refused;        // not ok: the run fails with it (code "run-as-...")
  // What the run row keeps (store::Run::ran_as).
  std::string ran_as() const { return username.empty() ? "integration" : username; }
};

// The user `schedule` runs as on `connection`: its owner (synced schedules:
// the record owner's username), a named user, or the integration user.
RunAsChoice choose_run_as(const store::Schedule& schedule, const store::Connection& connection,
                          const RunAsRules& rules);

// Salesforce's refusal to let `username` in or to answer them (invalid_grant
// "inactive user", "user hasn't approved this consumer", "authentication
// failure", API_DISABLED_FOR_ORG, INVALID_FIELD, ...) as a failure that names
// the user and what an admin should change (kPermanent, code "run-as-...").
// Other errors, and org-mismatch, come back unchanged.
Status run_as_refusal(Status status, const std::string& username);

}  // namespace reportd::jobs
