// record_mapping: a Reportd_Schedule__c record to the schedule it asks for,
// every field checked, errors named by API field; names; odd separators,
// empty fields and unicode; a fuzz over assembled records.
#include "jobs/sync/record_mapping.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>

#include "jobs/schedule_check.hpp"

namespace reportd::sync {
namespace {

store::Connection acme() {
  store::Connection c;
  c.id = 7;
  c.name = "acme";
  return c;
}

ScheduleRecord good() {
  ScheduleRecord r;
  r.id = "a015g000000001XAAQ";
  r.name = "Weekly pipeline";
  r.active = true;
  r.cron = "0 8 * * 1";
  r.time_zone = "Europe/Berlin";
  r.source_type = "SOQL";
  r.query = "SELECT Name, Amount FROM Opportunity";
  r.formats = "CSV;XLSX";
  r.recipients = "sales@acme.com";
  r.owner_email = "owner@acme.com";
  r.modstamp = "2026-03-01T10:00:00Z";
  return r;
}

std::string error_of(const ScheduleRecord& r, std::vector<std::string> domains = {"acme.com"}) {
  auto s = schedule_from_record(r, acme(), domains, MappingDefaults{});
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().kind() == ErrorKind::kInvalidArgument);
  return s.status().message();
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

TEST_CASE("mapping: a complete SOQL record becomes a synced schedule") {
  ScheduleRecord r = good();
  r.subject = "  Pipeline  ";
  r.body = "Hello,\nthe pipeline.";
  r.send_when_empty = true;
  r.minimum_rows = "5.0";
  r.files_target_id = "001000000000001AAA";
  MappingDefaults d;
  d.catchup_seconds = 3600;
  d.min_interval_seconds = 600;
  auto s = schedule_from_record(r, acme(), {"acme.com"}, d);
  REQUIRE(s.ok());
  CHECK(s->name == "acme/Weekly pipeline");
  CHECK(s->connection_id == 7);
  CHECK(s->origin == store::ScheduleOrigin::kSalesforce);
  CHECK(s->sf_record_id == r.id);
  CHECK(s->cron == "0 8 * * 1");
  CHECK(s->tz == "Europe/Berlin");
  CHECK(s->source_kind == store::SourceKind::kSoql);
  CHECK(s->source == r.query);
  CHECK(s->formats == std::vector<std::string>{"csv", "xlsx"});
  CHECK(s->recipients == std::vector<std::string>{"sales@acme.com"});
  CHECK(s->subject == "Pipeline");
  CHECK(s->body == r.body);
  CHECK(s->send_when_empty);
  CHECK(s->min_rows == 5);
  CHECK(s->files_target == "001000000000001AAA");
  CHECK(s->owner_email == "owner@acme.com");
  CHECK(s->catchup_seconds == 3600);
  CHECK(s->min_interval_seconds == 600);
  CHECK_FALSE(s->paused);
}

TEST_CASE("mapping: a report record, the default zone, and a source type left empty") {
  ScheduleRecord r = good();
  r.source_type = "Report";
  r.query.clear();
  r.report_id = " 00O5g000000abcdEAA ";
  r.time_zone.clear();
  MappingDefaults d;
  d.time_zone = "America/New_York";
  auto s = schedule_from_record(r, acme(), {"acme.com"}, d);
  REQUIRE(s.ok());
  CHECK(s->source_kind == store::SourceKind::kReport);
  CHECK(s->source == "00O5g000000abcdEAA");
  CHECK(s->tz == "America/New_York");

  r.source_type.clear();  // only a report id: a report
  CHECK(schedule_from_record(r, acme(), {"acme.com"}, d)->source_kind == store::SourceKind::kReport);
  r = good();
  r.source_type.clear();  // only a query: SOQL
  CHECK(schedule_from_record(r, acme(), {"acme.com"}, d)->source_kind == store::SourceKind::kSoql);
  r.report_id = "00O5g000000abcdEAA";  // both: the record must say
  CHECK(error_of(r).rfind("Source_Type__c: is empty; choose SOQL", 0) == 0);
  r.source_type = "Bulk";
  CHECK(error_of(r) == "Source_Type__c: \"Bulk\" is not a source; choose SOQL or Report");
}

TEST_CASE("mapping: every field's error names the field by its API name") {
  ScheduleRecord r = good();
  r.cron = "";
  CHECK(error_of(r).rfind("Cron__c: is empty", 0) == 0);
  r.cron = "0 8 * * 1 2026 x";
  CHECK(error_of(r).rfind("Cron__c: ", 0) == 0);
  r.cron = "61 * * * *";
  CHECK(error_of(r).find("Cron__c: minute field") == 0);
  r.cron = "* * * * *";  // every minute: under the 5-minute minimum interval
  CHECK(error_of(r).rfind("Cron__c: cron `* * * * *` fires 60 s apart", 0) == 0);

  r = good();
  r.time_zone = "Mars/Olympus";
  CHECK(error_of(r) ==
        "Time_Zone__c: time zone `Mars/Olympus` is not in the system tzdata; use "
        "an IANA name such as Europe/Berlin or UTC");
  r = good();
  r.query = "  ";
  CHECK(error_of(r) == "Query__c: is empty; give a SELECT query");
  r.query = "DELETE FROM Account";
  CHECK(error_of(r).rfind("Query__c: must be a SELECT query", 0) == 0);
  r = good();
  r.source_type = "Report";
  r.report_id = "001000000000001";
  CHECK(error_of(r).rfind("Report_Id__c: \"001000000000001\" is not a report id", 0) == 0);
  r = good();
  r.formats = "";
  CHECK(error_of(r) == "Formats__c: name at least one of csv, xlsx, pdf, html");
  r.formats = "CSV;DOCX";
  CHECK(error_of(r) == "Formats__c: \"docx\" is not a format; use csv, xlsx, pdf or html");
  r = good();
  r.send_when = "Sometimes";
  CHECK(error_of(r) == "Send_When__c: \"sometimes\" is not a condition; use always or changed");
  r = good();
  r.recipients = "";
  CHECK(error_of(r).rfind("Recipients__c: name at least one address", 0) == 0);
  r.recipients = "sales@acme.com, not-an-address";
  CHECK(error_of(r).rfind("Recipients__c: \"not-an-address\" is not an e-mail address", 0) == 0);
  r = good();
  r.subject = "a\tb";
  CHECK(error_of(r).rfind("Subject__c: must not contain", 0) == 0);
  r = good();
  r.minimum_rows = "2.5";
  CHECK(error_of(r) == "Minimum_Rows__c: must be a whole number of rows (0 or more), not 2.5");
  r.minimum_rows = "-1";
  CHECK(error_of(r) == "Minimum_Rows__c: must be 0 or more");
  r = good();
  r.files_target_id = "not an id";
  CHECK(error_of(r).rfind("Files_Target_Id__c: \"not an id\" is not a record id", 0) == 0);
  // A burst sends each recipient their own view: no shared upload or hash.
  r = good();
  r.burst = true;
  auto burst = schedule_from_record(r, acme(), {"acme.com"}, MappingDefaults{});
  REQUIRE(burst.ok());
  CHECK(burst->burst);
  r.files_target_id = "001000000000001AAA";
  CHECK(error_of(r).rfind("Burst__c: sends each recipient their own report", 0) == 0);
  r.files_target_id.clear();
  r.send_when = "Changed";
  CHECK(error_of(r).rfind("Burst__c:", 0) == 0);
}

TEST_CASE(
    "mapping: a recipient outside the connection's allowed domains is refused with that reason") {
  ScheduleRecord r = good();
  r.recipients = "sales@acme.com; boss@ACME.com\nleak@evil.example";
  CHECK(error_of(r, {"acme.com"}) ==
        "Recipients__c: recipient leak@evil.example refused: its domain is outside those "
        "allowed for this connection (acme.com)");
  r.recipients = "sales@acme.com; boss@ACME.com";
  CHECK(schedule_from_record(r, acme(), {"acme.com"}, MappingDefaults{}).ok());
  store::Connection c = acme();
  c.allowed_domains = {"acme.com"};
  jobs::DomainRules rules{{{"acme", {"ACME.co.uk"}}, {"other", {"x.com"}}}, {"fallback.org"}};
  auto both = jobs::allowed_domains(c, rules);
  CHECK(both == std::vector<std::string>{"acme.com", "acme.co.uk"});
  // The operator's default only for a connection with no list of its own.
  store::Connection bare = acme();
  bare.name = "bare";
  CHECK(jobs::allowed_domains(bare, rules) == std::vector<std::string>{"fallback.org"});
}

TEST_CASE("mapping: a synced schedule without an allowed-domain list is refused for the customer") {
  for (const char* recipients : {"sales@acme.com", ""}) {
    ScheduleRecord r = good();
    r.recipients = recipients;
    if (r.recipients.empty()) r.files_target_id = "001000000000001AAA";
    std::string e = error_of(r, {});
    CHECK(e.rfind("Recipients__c: no recipient domains are allowed for this org", 0) == 0);
    CHECK(e.find("ask your reportd operator") != std::string::npos);
    CHECK(e.find("reportd connections") == std::string::npos);  // no operator command
  }
}

TEST_CASE("mapping: recipients split on commas, semicolons, line breaks and blanks") {
  ScheduleRecord r = good();
  r.recipients = "a@acme.com, b@acme.com;c@acme.com\nd@acme.com\r\n\te@acme.com ;; ,A@ACME.COM";
  auto s = schedule_from_record(r, acme(), {"acme.com"}, MappingDefaults{});
  REQUIRE(s.ok());
  CHECK(s->recipients == std::vector<std::string>{"a@acme.com", "b@acme.com", "c@acme.com",
                                                  "d@acme.com", "e@acme.com"});
  CHECK(split_formats("CSV;XLSX;csv; html ") == std::vector<std::string>{"csv", "xlsx", "html"});
  CHECK(split_formats("").empty());
  CHECK(split_formats(";;").empty());
}

TEST_CASE("mapping: names are <connection>/<Name>, unique with the Id, at most 80 bytes") {
  CHECK(synced_name("acme", "Weekly", "a01X", false) == "acme/Weekly");
  CHECK(synced_name("acme", "Weekly", "a01X", true) == "acme/Weekly (a01X)");
  CHECK(synced_name("acme", "line\nbreak\ttab", "a01X", false) == "acme/line break tab");
  CHECK(synced_name("acme", "  \n ", "a015g000000001XAAQ", false) == "acme/a015g000000001XAAQ");
  std::string long_name;
  for (int i = 0; i < 40; ++i) long_name += "北";  // 3 bytes each
  for (bool with_id : {false, true}) {
    std::string n = synced_name("acme", long_name, "a015g000000001XAAQ", with_id);
    CHECK(n.size() <= 80);
    CHECK(valid_utf8(n));
    CHECK(n.rfind("acme/北北", 0) == 0);
  }
  ScheduleRecord r = good();
  r.name = long_name + " 📈";
  auto s = schedule_from_record(r, acme(), {"acme.com"}, MappingDefaults{});
  REQUIRE(s.ok());
  CHECK(s->name.size() <= 80);
}

TEST_CASE("mapping: unicode in the name, subject and body is kept") {
  ScheduleRecord r = good();
  r.name = "Ångström 北京贸易 📈";
  r.subject = "Rapport für Ångström — 北京";
  r.body = "Grüße 👋\n";
  auto s = schedule_from_record(r, acme(), {"acme.com"}, MappingDefaults{});
  REQUIRE(s.ok());
  CHECK(s->name == "acme/Ångström 北京贸易 📈");
  CHECK(s->subject == r.subject);
  CHECK(s->body == r.body);
}

TEST_CASE("mapping: same_definition sees every field a record sets, not the pause") {
  auto a = schedule_from_record(good(), acme(), {"acme.com"}, MappingDefaults{});
  REQUIRE(a.ok());
  store::Schedule b = *a;
  b.id = 99;
  b.paused = true;
  b.created_at_ms = 5;
  CHECK(same_definition(*a, b));
  for (auto change : std::vector<void (*)(store::Schedule&)>{
           [](store::Schedule& s) { s.cron = "0 9 * * 1"; },
           [](store::Schedule& s) { s.recipients.push_back("x@acme.com"); },
           [](store::Schedule& s) { s.body = "new"; },
           [](store::Schedule& s) { s.owner_email = "new@acme.com"; },
           [](store::Schedule& s) { s.name = "acme/other"; },
           [](store::Schedule& s) { s.min_interval_seconds = 60; },
           [](store::Schedule& s) { s.burst = true; }}) {
    store::Schedule c = *a;
    change(c);
    CHECK_FALSE(same_definition(*a, c));
  }
}

// Records assembled from valid and broken pieces: mapping never crashes;
// what it accepts passes the CLI's own check and has a fitting name; what it
// refuses is explained by a record field.
TEST_CASE("mapping: fuzz over assembled records") {
  const std::vector<std::string> names = {
      "",
      "Weekly",
      "Ångström 北京 📈",
      "a\nb",
      std::string(200, 'x'),
      "\x01\x7f",
      "北北北北北北北北北北北北北北北北北北北北北北北北北北北北北"};
  const std::vector<std::string> crons = {"",           "0 8 * * 1",      "*/5 * * * *",
                                          "* * * * *",  "0 0 30 2 *",     "@daily",
                                          "61 * * * *", "0 8 * * 1 2026", "L * * * *"};
  const std::vector<std::string> zones = {"", "UTC", "Europe/Berlin", "Nowhere/City",
                                          " Asia/Tokyo "};
  const std::vector<std::string> types = {"", "SOQL", "Report", "soql", "Bulk"};
  const std::vector<std::string> queries = {"", "SELECT Id FROM Account", "select\nId from Account",
                                            "DROP"};
  const std::vector<std::string> reports = {"", "00O5g000000abcdEAA", "00O5g000000abcd", "001",
                                            "00O!!!!!!!!!!!!!!!"};
  const std::vector<std::string> formats = {"", "CSV", "csv;xlsx;html", "PDF", ";;", "XLSX;XLSX"};
  const std::vector<std::string> recipients = {
      "",      "a@acme.com", "a@acme.com;\n b@acme.com", "bad", "x@evil.com",
      ", ;\n", "é@acme.com", "a@acme.com,a@ACME.com"};
  const std::vector<std::string> rows = {"", "0", "3", "3.0", "2.5", "-4", "1e3", "abc"};
  const std::vector<std::string> targets = {"", "001000000000001AAA", "bad id", "001000000000001"};
  const std::vector<std::string> api = {
      "Name",       "Cron__c",         "Time_Zone__c",      "Source_Type__c",
      "Query__c",   "Report_Id__c",    "Formats__c",        "Recipients__c",
      "Subject__c", "Minimum_Rows__c", "Files_Target_Id__c"};
  std::mt19937 rng(1);
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  int accepted = 0;
  for (int i = 0; i < 3000; ++i) {
    ScheduleRecord r;
    r.id = "a015g00000000" + std::to_string(10000 + i);
    r.name = pick(names);
    r.active = true;
    r.cron = pick(crons);
    r.time_zone = pick(zones);
    r.source_type = pick(types);
    r.query = pick(queries);
    r.report_id = pick(reports);
    r.formats = pick(formats);
    r.recipients = pick(recipients);
    r.subject = rng() % 5 == 0 ? "line\nbreak" : "Report";
    r.minimum_rows = pick(rows);
    r.files_target_id = pick(targets);
    auto s = schedule_from_record(r, acme(), {"acme.com"}, MappingDefaults{});
    if (s.ok()) {
      ++accepted;
      CHECK(jobs::check_schedule(*s, deliver::DomainPolicy{{"acme.com"}, true}).ok());
      CHECK(s->name.size() <= 80);
      CHECK(valid_utf8(s->name));
      CHECK(s->sf_record_id == r.id);
    } else {
      const std::string& m = s.status().message();
      bool named = std::any_of(api.begin(), api.end(),
                               [&](const std::string& f) { return m.rfind(f + ": ", 0) == 0; });
      CHECK_MESSAGE(named, m);
    }
  }
  CHECK(accepted > 0);
}

}  // namespace
}  // namespace reportd::sync
