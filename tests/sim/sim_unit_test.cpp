// Pure parts of reportd-sfsim: ids, SOQL parsing and matching, the
// generator's determinism, the paging plan and report labels.
#include <doctest/doctest.h>

#include <set>

#include "dataset.hpp"
#include "ids.hpp"
#include "plan.hpp"
#include "report_format.hpp"
#include "soql.hpp"

using namespace reportd::sim;

namespace {

GenConfig config() {
  GenConfig c;
  c.accounts = 1000;
  c.contacts = 3000;
  c.opportunities = 500;
  c.marker = "MARK";
  c.username = "u@example.com";
  return c;
}

Query parse(const char* soql) {
  auto r = parse_soql(soql);
  REQUIRE_MESSAGE(std::holds_alternative<Query>(r), std::get<SoqlError>(r).message);
  return std::get<Query>(std::move(r));
}

SoqlError parse_error(const char* soql) {
  auto r = parse_soql(soql);
  REQUIRE(std::holds_alternative<SoqlError>(r));
  return std::get<SoqlError>(r);
}

}  // namespace

TEST_CASE("ids: the case-safe suffix matches Salesforce's documented example") {
  CHECK(id_suffix("001D000000IRFma") == "IAH");
}

TEST_CASE("ids: a row index round-trips through 15- and 18-character ids") {
  for (std::uint64_t row : {0ULL, 1ULL, 61ULL, 62ULL, 999999ULL, 123456789012ULL}) {
    std::string id = make_id("006", row);
    CHECK(id.size() == 18);
    CHECK(id_row("006", id) == row);
    CHECK(id_row("006", id.substr(0, 15)) == row);
    CHECK_FALSE(id_row("001", id).has_value());
  }
  std::string id = make_id("001", 42);
  id[16] = id[16] == 'A' ? 'B' : 'A';
  CHECK_FALSE(id_row("001", id).has_value());
}

TEST_CASE("soql: fields keep SELECT order and canonical names, parents resolve") {
  Query q = parse("select id, account.owner.name, LASTNAME from contact where isdeleted = false limit 5");
  REQUIRE(q.fields.size() == 3);
  CHECK(q.object->name == "Contact");
  CHECK(q.fields[1].dotted == "Account.Owner.Name");
  CHECK(q.fields[1].refs.size() == 2);
  CHECK(q.fields[2].dotted == "LastName");
  CHECK(q.limit == 5u);
  CHECK(q.where.size() == 1);
}

TEST_CASE("soql: errors carry Salesforce's code and caret diagram") {
  SoqlError e = parse_error("SELECT Naem FROM Account");
  CHECK(e.code == "INVALID_FIELD");
  CHECK(e.message.rfind("\nSELECT Naem FROM Account\n       ^\nERROR at Row:1:Column:8\nNo such column 'Naem'", 0) == 0);
  CHECK(parse_error("SELECT Id FROM Nope").code == "INVALID_TYPE");
  CHECK(parse_error("SELECT FROM Account").code == "MALFORMED_QUERY");
  CHECK(parse_error("SELECT Id FROM Account WHERE Name = 'x").code == "MALFORMED_QUERY");
  CHECK(parse_error("SELECT Id, (SELECT Id FROM Contacts) FROM Account").code == "MALFORMED_QUERY");
}

TEST_CASE("soql: conditions compare null-aware, strings case-insensitively, LIKE with wildcards") {
  Query q = parse("SELECT Id FROM Account WHERE Name LIKE 'ac_e%' AND Industry != null AND "
                  "NumberOfEmployees >= 10 AND CreatedDate < 2020-01-01T00:00:00Z");
  CHECK(matches(q.where[0], Value::str("Acme Corp")));
  CHECK_FALSE(matches(q.where[0], Value::str("Globex")));
  CHECK_FALSE(matches(q.where[1], Value::null()));
  CHECK(matches(q.where[2], Value::num("10")));
  CHECK_FALSE(matches(q.where[2], Value::num("9.5")));
  CHECK_FALSE(matches(q.where[2], Value::null()));
  CHECK(matches(q.where[3], Value::str("2019-06-01T00:00:00.000+0000")));
}

TEST_CASE("generator: values are a pure function of (object, row, field)") {
  Store store;
  Dataset a(config(), store), b(config(), store);
  Query q = parse("SELECT Id, Name, Description, Account.Name, Birthdate FROM Contact");
  for (std::uint64_t row : {0ULL, 7ULL, 2999ULL})
    for (const auto& f : q.fields)
      CHECK(a.path_value(f, row).text == b.path_value(f, row).text);
  // Marker on every 5th row only; some parents are null.
  Query acc = parse("SELECT Name FROM Account");
  CHECK(a.path_value(acc.fields[0], 0).text.find("MARK") != std::string::npos);
  CHECK(a.path_value(acc.fields[0], 1).text.find("MARK") == std::string::npos);
  CHECK(a.path_value(q.fields[3], 7).is_null());  // row % 11 == 7: no Account
}

TEST_CASE("plan: unfiltered pages map offsets to rows; filtered pages resume or rescan alike") {
  Store store;
  Dataset data(config(), store);
  Cursor all = plan_query(data, parse("SELECT Id FROM Account"), false);
  CHECK(all.total == 1000);
  Cursor with_deleted = plan_query(data, parse("SELECT Id FROM Account"), true);
  CHECK(with_deleted.total == 1020);
  Cursor deleted = plan_query(data, parse("SELECT Id FROM Account WHERE IsDeleted = true"), true);
  CHECK(deleted.total == 20);
  Cursor limited = plan_query(data, parse("SELECT Id FROM Account LIMIT 10 OFFSET 995"), false);
  CHECK(limited.total == 5);

  Cursor c = plan_query(data, parse("SELECT Id FROM Contact WHERE AccountId != null"), false);
  CHECK(c.filtered);
  std::vector<std::uint64_t> resumed, rescanned;
  for (std::uint64_t off = 0; off < c.total; off += 100)
    scan_rows(data, c, off, 100, [&](std::uint64_t r) { resumed.push_back(r); });
  Cursor fresh = plan_query(data, parse("SELECT Id FROM Contact WHERE AccountId != null"), false);
  scan_rows(data, fresh, 200, 100, [&](std::uint64_t r) { rescanned.push_back(r); });
  CHECK(resumed.size() == c.total);
  CHECK(std::set<std::uint64_t>(resumed.begin(), resumed.end()).size() == resumed.size());
  CHECK(std::vector<std::uint64_t>(resumed.begin() + 200, resumed.begin() + 300) == rescanned);
}

TEST_CASE("plan: written records sort by ORDER BY and query leaves deleted ones to queryAll") {
  Store store;
  Dataset data(config(), store);
  const ObjectDef& obj = *find_object("Reportd_Schedule__c");
  std::string a = store.insert(obj, {{"Name", Value::str("b")}, {"Cron__c", Value::str("2")}});
  std::string b = store.insert(obj, {{"Name", Value::str("a")}, {"Cron__c", Value::str("1")}});
  std::string c = store.insert(obj, {{"Name", Value::str("c")}});
  CHECK(store.get(obj, 0, "Active__c").kind == Value::Kind::kBool);  // checkboxes are never null
  CHECK(store.get(obj, 0, "SystemModstamp").text == store.get(obj, 0, "CreatedDate").text);
  REQUIRE(store.remove(obj, c));
  CHECK_FALSE(store.remove(obj, c));
  CHECK(store.is_deleted(obj, 2));

  auto ids = [&](const char* soql, bool all) {
    Cursor cur = plan_query(data, parse(soql), all);
    std::vector<std::string> out;
    scan_rows(data, cur, 0, 100, [&](std::uint64_t r) { out.push_back(store.get(obj, r, "Id").text); });
    CHECK(out.size() == cur.total);
    return out;
  };
  CHECK(ids("SELECT Id FROM Reportd_Schedule__c", false) == std::vector<std::string>{a, b});
  CHECK(ids("SELECT Id FROM Reportd_Schedule__c", true) == std::vector<std::string>{a, b, c});
  CHECK(ids("SELECT Id FROM Reportd_Schedule__c ORDER BY Name", false) == std::vector<std::string>{b, a});
  CHECK(ids("SELECT Id FROM Reportd_Schedule__c ORDER BY Name DESC", true) ==
        std::vector<std::string>{c, a, b});
  CHECK(ids("SELECT Id FROM Reportd_Schedule__c ORDER BY Cron__c", true) ==
        std::vector<std::string>{c, b, a});  // nulls first
  CHECK(ids("SELECT Id FROM Reportd_Schedule__c ORDER BY Cron__c NULLS LAST", true) ==
        std::vector<std::string>{b, a, c});
  CHECK(ids("SELECT Id FROM Reportd_Schedule__c ORDER BY Name LIMIT 1 OFFSET 1", true) ==
        std::vector<std::string>{a});  // names "a" (b), "b" (a), "c" (c)
  CHECK(ids("SELECT Id FROM Reportd_Schedule__c WHERE IsDeleted = true", true) ==
        std::vector<std::string>{c});
  Query q = parse("SELECT Id FROM Reportd_Schedule__c ORDER BY SystemModstamp DESC NULLS LAST, Id");
  REQUIRE(q.order_by.size() == 2);
  CHECK(q.order_by[0].path.dotted == "SystemModstamp");
  CHECK(q.order_by[0].desc);
  CHECK(q.order_by[0].nulls_last);
  CHECK_FALSE(q.order_by[1].desc);
  CHECK(compare_values(Value::str("2026-01-01T00:00:01.000+0000"), Value::str("2026-01-01T00:00:01Z")) == 0);
}

TEST_CASE("labels: money, dates and datetimes as the Reports API shows them") {
  CHECK(money_label("1234567.5") == "$1,234,567.50");
  CHECK(money_label("0.07") == "$0.07");
  CHECK(money_label("-12") == "-$12.00");
  CHECK(date_label("2013-10-02") == "10/2/2013");
  CHECK(datetime_label("2013-10-22T14:05:00.000+0000") == "10/22/2013, 2:05 PM");
  CHECK(datetime_iso_z("2013-10-22T14:05:00.000+0000") == "2013-10-22T14:05:00Z");
  CHECK(format_datetime(0) == "1970-01-01T00:00:00.000+0000");
  CHECK(format_scaled(-5, 2) == "-0.05");
}
