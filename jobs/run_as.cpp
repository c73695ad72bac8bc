#include "jobs/run_as.hpp"

namespace reportd::jobs {
namespace {

Status refuse(std::string code, std::string message) {
  return Status::error(ErrorKind::kPermanent, std::move(message), std::move(code));
}

bool has(const Status& st, std::string_view text) {
  return st.message().find(text) != std::string::npos || st.code() == text;
}

// The text between `before` and the next quote after it, e.g. the X of
// "No such column 'X' on entity 'Y'"; empty when absent.
std::string quoted_after(const std::string& m, std::string_view before, std::size_t from = 0) {
  const std::size_t at = m.find(before, from);
  if (at == std::string::npos) return {};
  const std::size_t start = at + before.size();
  const std::size_t end = m.find('\'', start);
  return end == std::string::npos ? std::string() : m.substr(start, end - start);
}

// Salesforce's INVALID_FIELD "No such column 'Description' on entity
// 'Account'" as "Account.Description" (field-level security hides a field
// exactly so; salesforce-wire.md §2.7); empty when the message has no such text.
std::string hidden_field(const std::string& m) {
  const std::string field = quoted_after(m, "No such column '");
  const std::string entity = quoted_after(m, "' on entity '", m.find("No such column '"));
  if (field.empty()) return {};
  return entity.empty() ? field : entity + "." + field;
}

// `user` cannot see `field` (`why`): what the admin should change, or
// `otherwise`.
Status field_refused(const std::string& who, const std::string& user, const std::string& field,
                     std::string_view why, std::string_view otherwise) {
  return refuse("run-as-field-access",
                who + ": the user cannot see the field " + field + " (" + std::string(why) +
                    "). An admin should give " + user + " read access to " + field +
                    " (field-level security, in a permission set or the profile of the user), "
                    "or " + std::string(otherwise));
}

}  // namespace

RunAsChoice choose_run_as(const store::Schedule& s, const store::Connection& c,
                          const RunAsRules& rules) {
  RunAsChoice out;
  const bool synced = s.origin == store::ScheduleOrigin::kSalesforce;
  switch (s.run_as.kind) {
    case store::RunAsKind::kIntegration:
      if (synced && !rules.integration_allowed.contains(c.name)) {
        out.refused = refuse(
            "run-as-integration-refused",
            "this schedule is set to run as the integration user, which is not allowed for "
            "schedules defined in this org: it would see records its owner may not. Set it to "
            "run as its owner, or ask the reportd operator to allow integration runs for this org");
      }
      return out;
    case store::RunAsKind::kUser:
      out.username = s.run_as.username;
      return out;
    case store::RunAsKind::kOwner:
      break;
  }
  if (!synced) {
    out.refused = refuse("run-as-owner-unknown",
                         "schedule " + s.name + " runs as its owner, but a schedule made with the "
                         "CLI has no record owner; set a user with `reportd schedules set " +
                             s.name + " --run-as USERNAME`");
  } else if (s.owner_username.empty()) {
    out.refused = refuse("run-as-owner-unknown",
                         "this schedule runs as its owner, but reportd has not read the owner's "
                         "username yet; it is read at the next sync of this record");
  } else {
    out.username = s.owner_username;
  }
  return out;
}

Status run_as_refusal(Status st, const std::string& user) {
  if (st.ok() || user.empty() || st.code() == "org-mismatch" || st.code().rfind("run-as", 0) == 0)
    return st;
  const std::string who = "Salesforce refused to run this report as " + user;
  if (has(st, "inactive user")) {
    return refuse("run-as-inactive",
                  who + ": the user is deactivated (invalid_grant: inactive user). An admin "
                        "should give the schedule an active owner, or reactivate the user");
  }
  if (has(st, "hasn't approved this consumer")) {
    return refuse("run-as-not-preauthorized",
                  who + ": the user is not pre-authorized for reportd's connected app "
                        "(invalid_grant: user hasn't approved this consumer). An admin should "
                        "add a profile or permission set of the user to the connected app "
                        "(Permitted Users: admin approved users are pre-authorized)");
  }
  if (has(st, "authentication failure")) {
    return refuse("run-as-login-refused",
                  who + ": the user could not log in (invalid_grant: authentication failure), "
                        "usually because the user is frozen or locked out. An admin should "
                        "unfreeze the user in Setup, Users, or give the schedule another owner");
  }
  if (has(st, "API_DISABLED_FOR_ORG") || has(st, "API_CURRENTLY_DISABLED")) {
    return refuse("run-as-no-api",
                  who + ": the user has no API access (API_DISABLED_FOR_ORG). An admin should "
                        "give the user the API Enabled permission through their profile or a "
                        "permission set");
  }
  if (const std::string field = hidden_field(st.message()); !field.empty() && has(st, "INVALID_FIELD")) {
    return field_refused(who, user, field,
                         "INVALID_FIELD: to Salesforce a field hidden by field-level security "
                         "does not exist",
                         "the query should leave the field out");
  }
  if (has(st, "INVALID_FIELD") || has(st, "INSUFFICIENT_ACCESS")) {
    return refuse("run-as-field-access",
                  who + ": the user may not read something the report names (" + st.code() +
                      "). An admin should grant the user access to it (field-level security, "
                      "object permissions), or the query should leave it out");
  }
  if (st.code() == "report-column-hidden") {
    return field_refused(who, user, quoted_after(st.message(), "column '"),
                         "a column of the report: the Reports API leaves such a column out for "
                         "the user",
                         "the column should be removed from the report");
  }
  if (has(st, "audience is invalid") || has(st, "invalid assertion") ||
      has(st, "client identifier invalid")) {
    return refuse("run-as-jwt-refused",
                  who + ": the connected app refused reportd's signed request (" + st.code() +
                      "). The reportd operator should compare `reportd connections show` with the "
                      "connected app's consumer key and certificate");
  }
  if (st.kind() == ErrorKind::kAuth) {
    return refuse("run-as-refused", who + " (" + st.code() + "). An admin should check that the "
                                          "user is active and may use reportd's connected app");
  }
  return st;
}

Status ReportColumnCheck::begin(const table::TableHeader& header) {
  for (const salesforce::ReportColumn& want : expected_) {
    bool found = false;
    for (const table::Column& c : header.columns) found = found || c.name == want.key;
    if (!found) {
      return Status::error(ErrorKind::kPermanent,
                           "salesforce: the report came back without its column '" + want.field +
                               "' (" + want.key + "): field-level security hides it from the user",
                           "report-column-hidden");
    }
  }
  return sink_.begin(header);
}

}  // namespace reportd::jobs
