#include "salesforce_client/soql_fields.hpp"

#include <doctest/doctest.h>

using namespace reportd::salesforce;

namespace {
std::vector<std::string> names(std::string_view soql) {
  auto r = parse_select_list(soql);
  if (!r.ok()) FAIL(r.status().message());
  std::vector<std::string> out;
  for (const auto& f : r.value()) {
    std::string path;
    for (const auto& p : f.path) path += (path.empty() ? "" : "/") + p;
    out.push_back(f.name + "=" + path);
  }
  return out;
}
}  // namespace

TEST_CASE("soql: select list gives columns in SELECT order with relationship paths") {
  struct Case {
    const char* soql;
    std::vector<std::string> want;
  };
  const Case cases[] = {
      {"SELECT Id, Name FROM Account", {"Id=Id", "Name=Name"}},
      {"select id,Owner.Name , Account.Owner.Email from Contact where Name = 'a, FROM b'",
       {"id=id", "Owner.Name=Owner/Name", "Account.Owner.Email=Account/Owner/Email"}},
      {"SELECT Id, (SELECT Id FROM Contacts), Name FROM Account", {"Id=Id", "Name=Name"}},
      {"SELECT toLabel(StageName), convertCurrency(Amount) FROM Opportunity",
       {"StageName=StageName", "Amount=Amount"}},
      {"SELECT LeadSource, COUNT(Id), SUM(Amount) total, MAX(Amount) FROM Opportunity GROUP BY "
       "LeadSource",
       {"LeadSource=LeadSource", "expr0=expr0", "total=total", "expr1=expr1"}},
      {"SELECT COUNT() FROM Account", {"COUNT()="}},
      {"\n  SELECT\tId\nFROM Account", {"Id=Id"}},
      {"SELECT Id, Fromage__c FROM Account", {"Id=Id", "Fromage__c=Fromage__c"}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.soql);
    CHECK(names(c.soql) == c.want);
  }
}

TEST_CASE("soql: unsupported or malformed select lists are permanent errors") {
  for (const char* soql : {"SELECT FIELDS(ALL) FROM Account LIMIT 200", "UPDATE Account",
                           "SELECT Id", "SELECT TYPEOF What WHEN Account THEN Name END FROM Event",
                           "SELECT Id,, Name FROM Account"}) {
    CAPTURE(soql);
    auto r = parse_select_list(soql);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().kind() == reportd::ErrorKind::kPermanent);
  }
}

TEST_CASE("soql: from_object names the queried object") {
  CHECK(from_object("SELECT Id FROM Account WHERE x = 1") == "Account");
  CHECK(from_object("SELECT Id, (SELECT Id FROM Contacts) FROM Account") == "Account");
}
