// The one table from a run's error code to what the customer reads on the
// schedule record: the operator's detail in the run's reason never shows.
#include "jobs/sync/customer_text.hpp"

#include <doctest/doctest.h>

namespace reportd::sync {
namespace {

store::Run failed(std::string code) {
  store::Run r;
  r.id = 42;
  r.state = store::RunState::kFailed;
  r.error_code = std::move(code);
  // What the operator sees: relay host, config hint, store path.
  r.reason =
      "email: relay MARKER-relay.internal:2525 refused AUTH; check [smtp] password_file "
      "/etc/reportd/smtp.pw; store /var/lib/reportd/reportd.db";
  return r;
}

TEST_CASE("customer text: each code maps to one text, with the code, and no operator detail") {
  struct Case {
    const char* code;
    const char* starts;
  };
  const Case cases[] = {
      {"recipient-not-allowed", "A recipient in Recipients__c is outside the e-mail domains"},
      {"no-allowed-domains", "No e-mail domains are allowed for this org yet"},
      {"bad-address", "An address in Recipients__c is not a valid e-mail address"},
      {"needs-reauth", "reportd's access to this org was revoked"},
      {"too-large", "The report was too large to send"},
      {"api-budget", "The org had used most of its daily API calls"},
      {"deadline", "The report took longer than allowed"},
      {"smtp-550", "The mail server refused a recipient"},
      {"smtp-535", "reportd could not hand the report to its mail server"},
      {"smtp-unknown-outcome", "reportd could not hand the report to its mail server"},
      {"no-smtp", "reportd cannot send e-mail at the moment"},
      {"MALFORMED_QUERY", "Salesforce could not run Query__c"},
      {"INVALID_FIELD", "Query__c names a field"},
      {"INSUFFICIENT_ACCESS_OR_READONLY", "The connected user lacks the access"},
      {"REQUEST_LIMIT_EXCEEDED", "Salesforce refused the request for this report"},
      {"io", "The run failed inside reportd. Your reportd operator has the details (run 42)."},
      {"", "The run failed inside reportd."},
  };
  for (const Case& c : cases) {
    CAPTURE(c.code);
    store::Run r = failed(c.code);
    CustomerError e = customer_error(r);
    CHECK(e.text.rfind(c.starts, 0) == 0);
    CHECK(e.code == (*c.code != '\0' ? std::string(c.code) : std::string("failed")));
    std::string written = customer_error_text(r);
    CHECK(written == e.text + " (code " + e.code + ")");
    for (const char* secret : {"MARKER", "relay", "password_file", "/etc/", "/var/lib", "[smtp]"}) {
      CHECK(written.find(secret) == std::string::npos);
    }
  }
}

TEST_CASE("customer text: skips and misses say why (reportd's counts), cancels hide the pause") {
  store::Run r;
  r.state = store::RunState::kSkipped;
  r.reason = "no rows, and send-when-empty is off";
  CHECK(customer_error_text(r) == "no rows, and send-when-empty is off");
  r.state = store::RunState::kMissed;
  r.reason = "missed: 7h late, past the catch-up window of 6h";
  CHECK(customer_error_text(r) == r.reason);
  r.state = store::RunState::kCancelled;
  r.reason = "the schedule is paused: paused automatically; last error: relay MARKER";
  CHECK(customer_error_text(r).find("MARKER") == std::string::npos);
  CHECK(customer_error_text(r).rfind("The schedule is paused in reportd", 0) == 0);
  r.state = store::RunState::kSucceeded;
  r.reason.clear();
  CHECK(customer_error_text(r).empty());
  r.truncated = true;
  CHECK(customer_error_text(r).find("2,000 rows") != std::string::npos);
}

}  // namespace
}  // namespace reportd::sync
