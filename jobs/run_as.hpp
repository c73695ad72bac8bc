#pragma once
// Whose Salesforce access a run uses (DESIGN.md §4.9), decided before the
// run touches Salesforce, and what Salesforce's refusal of that user means
// for the customer's admin. Nothing falls back to the integration user:
// a run that cannot act as its user fails, naming the user and the fix.
// Pure functions.

#include <set>
#include <string>
#include <vector>

#include "salesforce_client/api.hpp"
#include "store/records.hpp"
#include "table/status.hpp"
#include "table/table.hpp"

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
// failure", API_DISABLED_FOR_ORG, INVALID_FIELD, ReportColumnCheck's
// "report-column-hidden", ...) as a failure that names the user and what an
// admin should change (kPermanent, code "run-as-...").
// Other errors, and org-mismatch, come back unchanged.
Status run_as_refusal(Status status, const std::string& username);

// A report run as a user, checked against the report's detail columns as
// the integration user sees them (`expected`, salesforce::Api::
// report_columns): the Reports API leaves out a column whose field the
// user cannot see (field-level security; salesforce-wire.md §4) instead of
// failing, and the report would go out without it. begin() then fails with
// code "report-column-hidden" naming the column's field, before any row
// reaches `sink`; otherwise every call is forwarded. Both must outlive it.
class ReportColumnCheck final : public table::RowSink {
 public:
  ReportColumnCheck(table::RowSink& sink, const std::vector<salesforce::ReportColumn>& expected)
      : sink_(sink), expected_(expected) {}
  Status begin(const table::TableHeader& header) override;
  Status row(std::span<const table::Cell> cells) override { return sink_.row(cells); }
  Status end(const table::TableFooter& footer) override { return sink_.end(footer); }
  Status group(const table::GroupStart& start) override { return sink_.group(start); }
  Status subtotal(const table::Subtotal& total) override { return sink_.subtotal(total); }

 private:
  table::RowSink& sink_;
  const std::vector<salesforce::ReportColumn>& expected_;
};

}  // namespace reportd::jobs
