#include "jobs/sync/customer_text.hpp"

#include <algorithm>
#include <string_view>

namespace reportd::sync {
namespace {

// The one table from error code to what a customer reads. A `code` ending
// in '*' matches every code that starts with the rest; the first match wins.
struct Entry {
  std::string_view code;
  std::string_view text;
};

constexpr Entry kTexts[] = {
    {"recipient-not-allowed",
     "A recipient in Recipients__c is outside the e-mail domains this org may send to, so "
     "reportd did not send it the report. Remove it, or ask your reportd operator to allow "
     "its domain."},
    {"no-allowed-domains",
     "No e-mail domains are allowed for this org yet, so reportd sent nothing. Ask your "
     "reportd operator to allow the domains your reports go to."},
    {"bad-address", "An address in Recipients__c is not a valid e-mail address."},
    {"needs-reauth",
     "reportd's access to this org was revoked or has expired. An administrator must connect "
     "the org to reportd again; until then no report runs."},
    {"too-large",
     "The report was too large to send. Narrow the query, or set Files_Target_Id__c so that "
     "reportd uploads it to Salesforce Files and mails a link."},
    {"api-budget",
     "The org had used most of its daily API calls, so reportd did not run the report this "
     "time."},
    {"deadline", "The report took longer than allowed and was stopped. Narrow the query."},
    {"smtp-55*",
     "The mail server refused a recipient of the report. Check the addresses in "
     "Recipients__c."},
    {"smtp-*",
     "reportd could not hand the report to its mail server. Your reportd operator has the "
     "details."},
    {"no-smtp", "reportd cannot send e-mail at the moment. Your reportd operator has to fix it."},
    {"MALFORMED_QUERY", "Salesforce could not run Query__c. Check the query's syntax."},
    {"INVALID_FIELD",
     "Query__c names a field that does not exist or that the connected user cannot read."},
    {"INVALID_TYPE",
     "Query__c names an object that does not exist or that the connected user cannot read."},
    {"NOT_FOUND", "Salesforce did not find the report or record the schedule names."},
    {"INSUFFICIENT_ACCESS*", "The connected user lacks the access this schedule needs."},
};

bool matches(std::string_view pattern, std::string_view code) {
  if (!pattern.empty() && pattern.back() == '*') {
    pattern.remove_suffix(1);
    return code.substr(0, pattern.size()) == pattern;
  }
  return code == pattern;
}

// Salesforce's errorCodes are upper case with underscores.
bool is_salesforce_code(std::string_view code) {
  return !code.empty() && std::all_of(code.begin(), code.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string failed_text(const store::Run& run) {
  // A run-as refusal names the user and what the org's admin changes
  // (jobs/run_as.hpp); one about reportd's own set-up is the operator's.
  if (run.error_code == "run-as-jwt-refused" || run.error_code == "run-as-no-jwt") {
    return "reportd cannot act as this schedule's user yet: its set-up for this org is "
           "incomplete. Your reportd operator has the details.";
  }
  if (run.error_code.rfind("run-as-", 0) == 0) return run.reason;
  for (const Entry& e : kTexts) {
    if (matches(e.code, run.error_code)) return std::string(e.text);
  }
  if (is_salesforce_code(run.error_code)) {
    return "Salesforce refused the request for this report. Check Query__c or Report_Id__c "
           "and the connected user's access.";
  }
  return "The run failed inside reportd. Your reportd operator has the details (run " +
         std::to_string(run.id) + ").";
}

}  // namespace

CustomerError customer_error(const store::Run& run) {
  CustomerError out;
  switch (run.state) {
    case store::RunState::kFailed:
      out.code = run.error_code.empty() ? "failed" : run.error_code;
      out.text = failed_text(run);
      break;
    case store::RunState::kSkipped:
    case store::RunState::kMissed:
      out.text = run.reason;  // counts and times, built by reportd
      break;
    case store::RunState::kCancelled:
      out.text =
          "The schedule is paused in reportd, so this occurrence did not run. Ask your "
          "reportd operator why.";
      break;
    case store::RunState::kSucceeded:
      if (run.truncated) {
        out.text =
            "Salesforce's Reports API returned only the first 2,000 rows; the e-mail "
            "says so.";
      }
      break;
    default:
      break;
  }
  return out;
}

std::string customer_error_text(const store::Run& run) {
  CustomerError e = customer_error(run);
  if (e.text.empty()) return {};
  if (e.code.empty()) return e.text;
  return e.text + " (code " + e.code + ")";
}

}  // namespace reportd::sync
