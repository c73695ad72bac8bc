// The recipients table shared with the Salesforce schedule editor component
// (tests/jobs/deliver/recipients_table.json; its Jest test reads the same
// file): split_recipients() keeps the table's addresses, or names the
// table's first bad item, so the component's inline check says what the
// daemon will say at sync.
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <doctest/doctest.h>

#include "jobs/deliver/recipients.hpp"
#include "tests/source_text.hpp"

TEST_CASE("recipients table: split_recipients agrees with the component's inline check") {
  const boost::json::value table =
      boost::json::parse(reportd::test::source_text("tests/jobs/deliver/recipients_table.json"));
  int checked = 0;
  for (const auto& c : table.at("cases").as_array()) {
    const auto& o = c.as_object();
    const std::string input(o.at("text").as_string());
    CAPTURE(input);
    auto got = reportd::deliver::split_recipients(input);
    if (const auto* bad = o.if_contains("bad")) {
      REQUIRE_FALSE(got.ok());
      const std::string want = "\"" + std::string(bad->as_string()) + "\" is not an e-mail address";
      CHECK_MESSAGE(got.status().message().rfind(want, 0) == 0, got.status().message());
    } else {
      REQUIRE_MESSAGE(got.ok(), got.status().message());
      std::vector<std::string> want;
      for (const auto& a : o.at("addresses").as_array()) want.emplace_back(a.as_string());
      CHECK(*got == want);
    }
    ++checked;
  }
  CHECK(checked >= 20);
}
