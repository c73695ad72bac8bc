// jobs/run_as.hpp: whose access a run uses, and Salesforce's refusals as
// reasons for the customer's admin. Table-driven, pure.
#include "jobs/burst.hpp"
#include "jobs/run_as.hpp"

#include <doctest/doctest.h>

using namespace reportd;  // NOLINT: test file
using store::RunAs;
using store::RunAsKind;

namespace {

store::Schedule synced(RunAs as, std::string owner = "ann@acme.example") {
  store::Schedule s;
  s.name = "acme/Pipeline";
  s.origin = store::ScheduleOrigin::kSalesforce;
  s.run_as = std::move(as);
  s.owner_username = std::move(owner);
  return s;
}

store::Connection acme() {
  store::Connection c;
  c.name = "acme";
  return c;
}

}  // namespace

TEST_CASE("run as: owner, a named user, integration; synced integration only where allowed") {
  jobs::RunAsRules none, allowed;
  allowed.integration_allowed.insert("acme");
  CHECK(jobs::choose_run_as(synced({RunAsKind::kOwner, {}}), acme(), none).username == "ann@acme.example");
  auto unknown = jobs::choose_run_as(synced({RunAsKind::kOwner, {}}, ""), acme(), none);
  CHECK(unknown.refused.code() == "run-as-owner-unknown");
  CHECK(unknown.username.empty());

  auto refused = jobs::choose_run_as(synced(RunAs{}), acme(), none);
  CHECK(refused.refused.code() == "run-as-integration-refused");
  CHECK(refused.refused.message().find("integration user") != std::string::npos);
  auto ok = jobs::choose_run_as(synced(RunAs{}), acme(), allowed);
  CHECK(ok.refused.ok());
  CHECK(ok.ran_as() == "integration");

  store::Schedule local;
  local.name = "weekly";
  CHECK(jobs::choose_run_as(local, acme(), none).refused.ok());  // today's behaviour
  local.run_as = {RunAsKind::kUser, "bob@acme.example"};
  CHECK(jobs::choose_run_as(local, acme(), none).ran_as() == "bob@acme.example");
  local.run_as = {RunAsKind::kOwner, {}};
  CHECK(jobs::choose_run_as(local, acme(), none).refused.code() == "run-as-owner-unknown");
}

TEST_CASE("run as: text forms at the boundary") {
  CHECK(store::to_string(RunAs{}) == "integration");
  CHECK(store::to_string(RunAs{RunAsKind::kUser, "a@b.c"}) == "user:a@b.c");
  CHECK(store::run_as_from("owner")->kind == RunAsKind::kOwner);
  CHECK(store::run_as_from("user:a@b.c")->username == "a@b.c");
  CHECK_FALSE(store::run_as_from("user:").has_value());
  CHECK_FALSE(store::run_as_from("admin").has_value());
}

TEST_CASE("run as: each refusal names the user and what the admin changes; the rest passes") {
  struct Case {
    Status in;
    const char* code;
    const char* says;
  };
  auto grant = [](const char* d) {
    return Status::error(ErrorKind::kAuth,
                         std::string("salesforce: POST /services/oauth2/token: 400 invalid_grant: ") +
                             d + " (the connection needs re-authorization)",
                         "invalid_grant");
  };
  const Case cases[] = {
      {grant("inactive user"), "run-as-inactive", "deactivated"},
      {grant("user hasn't approved this consumer"), "run-as-not-preauthorized", "permission set"},
      {grant("authentication failure"), "run-as-login-refused", "frozen"},
      {Status::error(ErrorKind::kPermanent, "salesforce: GET /query: 403 API_DISABLED_FOR_ORG: x",
                     "API_DISABLED_FOR_ORG"),
       "run-as-no-api", "API Enabled"},
      {Status::error(ErrorKind::kPermanent, "salesforce: GET /query: 400 INVALID_FIELD: No such column",
                     "INVALID_FIELD"),
       "run-as-field-access", "field-level security"},
      {grant("audience is invalid"), "run-as-jwt-refused", "connections show"},
  };
  for (const Case& c : cases) {
    Status out = jobs::run_as_refusal(c.in, "ann@acme.example");
    CAPTURE(c.code);
    CHECK(out.code() == c.code);
    CHECK(out.kind() == ErrorKind::kPermanent);
    CHECK(out.message().find("ann@acme.example") != std::string::npos);
    CHECK(out.message().find(c.says) != std::string::npos);
    CHECK(out.message().find("re-authorization") == std::string::npos);
  }
  // Not a user's refusal, or no user: unchanged.
  Status transient = Status::error(ErrorKind::kTransient, "timeout", "timeout");
  CHECK(jobs::run_as_refusal(transient, "ann@acme.example").code() == "timeout");
  CHECK(jobs::run_as_refusal(grant("inactive user"), "").code() == "invalid_grant");
  Status mismatch = Status::error(ErrorKind::kAuth, "org", "org-mismatch");
  CHECK(jobs::run_as_refusal(mismatch, "ann@acme.example").code() == "org-mismatch");
}

TEST_CASE("run as: a field hidden by field-level security is named with the user and the fix") {
  Status st = Status::error(ErrorKind::kPermanent,
                            "salesforce: GET /query: 400 INVALID_FIELD: \nSELECT Id, Description FROM "
                            "Account\n           ^\nERROR at Row:1:Column:12\nNo such column "
                            "'Description' on entity 'Account'. If you are attempting to use a custom "
                            "field, be sure to append the '__c' after the custom field name.",
                            "INVALID_FIELD");
  Status out = jobs::run_as_refusal(st, "ann@acme.example");
  CHECK(out.code() == "run-as-field-access");
  CHECK(out.message().find("ann@acme.example") != std::string::npos);
  CHECK(out.message().find("Account.Description") != std::string::npos);
  CHECK(out.message().find("permission set") != std::string::npos);
}

TEST_CASE("run as: a report column left out for the user fails before any row, naming the field") {
  struct Counting final : table::RowSink {
    int begins = 0, rows = 0, ends = 0;
    Status begin(const table::TableHeader&) override { return ++begins, Status(); }
    Status row(std::span<const table::Cell>) override { return ++rows, Status(); }
    Status end(const table::TableFooter&) override { return ++ends, Status(); }
  };
  const std::vector<salesforce::ReportColumn> expected = {{"AMOUNT", "Opportunity.Amount"},
                                                          {"DESCRIPTION", "Opportunity.Description"}};
  table::TableHeader all;
  all.columns = {{"STAGE_NAME", "Stage"}, {"AMOUNT", "Amount"}, {"DESCRIPTION", "Description"}};
  Counting seen;
  jobs::ReportColumnCheck check(seen, expected);
  CHECK(check.begin(all).ok());
  CHECK(check.row({}).ok());
  CHECK(check.end({}).ok());
  CHECK((seen.begins == 1 && seen.rows == 1 && seen.ends == 1));

  table::TableHeader theirs;
  theirs.columns = {{"AMOUNT", "Amount"}};
  Counting none;
  jobs::ReportColumnCheck refused(none, expected);
  Status st = refused.begin(theirs);
  CHECK(st.code() == "report-column-hidden");
  CHECK(none.begins == 0);
  Status out = jobs::run_as_refusal(st, "ann@acme.example");
  CHECK(out.code() == "run-as-field-access");
  for (const char* says : {"ann@acme.example", "Opportunity.Description", "permission set", "report"}) {
    CHECK(out.message().find(says) != std::string::npos);
  }
}

TEST_CASE("burst: a dry run names each recipient's copy after them, safely") {
  CHECK(jobs::burst_file_name("Accounts.csv", "ann@acme.com") == "Accounts-ann@acme.com.csv");
  CHECK(jobs::burst_file_name("Accounts.csv", "bob@acme.com") != jobs::burst_file_name("Accounts.csv", "ann@acme.com"));
  CHECK(jobs::burst_file_name("report", "a/b\\c d@x.org") == "report-a_b_c_d@x.org");
  CHECK(jobs::burst_file_name(".hidden", "../x@y.z") == ".hidden-.._x@y.z");
  CHECK(jobs::burst_file_name("r.xlsx", std::string(100, 'a')).size() == std::string("r-.xlsx").size() + 64);
}

TEST_CASE("burst: the user lookup quotes the address, and each refusal names the recipient") {
  CHECK(jobs::burst_user_query("o'neil@example.com") ==
        "SELECT Username FROM User WHERE Email = 'o\\'neil@example.com' AND IsActive = true");
  Status none = jobs::burst_refusal("eve@example.com", 0);
  CHECK(none.code() == "burst-not-a-user");
  CHECK(none.message().find("eve@example.com") != std::string::npos);
  CHECK(none.message().find("remove") != std::string::npos);
  CHECK(jobs::burst_refusal("eve@example.com", 2).code() == "burst-ambiguous-user");

  jobs::BurstTally t;
  t.recipients = 3;
  t.sent = 2;
  CHECK(t.outcome().ok());
  t.refused = 1;
  t.problem(none);
  Status out = t.outcome();
  CHECK(out.code() == "burst-not-a-user");
  CHECK(out.message().find("2 of 3 recipients sent, 1 refused") != std::string::npos);
  CHECK(out.message().find("eve@example.com") != std::string::npos);
}
