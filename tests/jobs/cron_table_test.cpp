// The cron table shared with the Salesforce schedule editor component
// (tests/jobs/cron_table.json; its Jest test reads the same file): for each
// expression, `reportd cron explain` prints the normalised form and kind the
// table gives, and the first fires where the table lists them; for each bad
// expression, the error names the table's field and text. The component's
// descriptions of these expressions are checked on its side.
#include <string>

#include <boost/json.hpp>
#include <doctest/doctest.h>

#include "jobs/cron_explain.hpp"
#include "tests/jobs/time_text.hpp"
#include "tests/source_text.hpp"

namespace {

using reportd::jobs::cron_explain;
using reportd::jobs::ExplainOptions;

boost::json::array cases() {
  return boost::json::parse(reportd::test::source_text("tests/jobs/cron_table.json"))
      .at("cases")
      .as_array();
}

std::string str(const boost::json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v == nullptr ? std::string() : std::string(v->as_string());
}

// What the daemon's message says for the table's error kind.
std::string expected_error(const boost::json::object& e) {
  const std::string kind = str(e, "kind");
  if (kind == "field") return "cron: " + str(e, "field") + " field `" + str(e, "text") + "`";
  if (kind == "count") return "cron: expected 5 fields";
  if (kind == "quartz") return "cron: 7 fields look like a Quartz expression";
  if (kind == "macro") return "cron: macro field `" + str(e, "text") + "` is not known";
  FAIL("unknown error kind " << kind);
  return {};
}

}  // namespace

TEST_CASE("cron table: explain gives the normalised form, kind and first fires the component expects") {
  int checked = 0;
  for (const auto& c : cases()) {
    const auto& o = c.as_object();
    if (o.contains("error")) continue;
    ExplainOptions opt;
    opt.expression = str(o, "expression");
    opt.zone = str(o, "zone").empty() ? "UTC" : str(o, "zone");  // empty: the daemon's default
    opt.json = true;
    opt.from = o.contains("from") ? str(o, "from") : "2026-01-01T00:00:00Z";
    const auto* fires = o.if_contains("fires");
    opt.count = fires != nullptr ? static_cast<int>(fires->as_array().size()) : 1;
    CAPTURE(opt.expression);
    auto out = cron_explain(opt, reportd::jobs::test::at("2026-01-01T00:00:00Z"));
    REQUIRE_MESSAGE(out.ok(), out.status().message());
    const auto j = boost::json::parse(*out).as_object();
    CHECK(j.at("normalized").as_string() == str(o, "normalized"));
    CHECK(j.at("kind").as_string() == str(o, "kind"));
    if (fires != nullptr) {
      const auto& got = j.at("fires").as_array();
      REQUIRE(got.size() == fires->as_array().size());
      for (std::size_t i = 0; i < got.size(); ++i)
        CHECK(got[i].at("local").as_string() == fires->as_array()[i].as_string());
    }
    ++checked;
  }
  CHECK(checked >= 20);
}

TEST_CASE("cron table: a bad expression's error names the field and text the component shows") {
  int checked = 0;
  for (const auto& c : cases()) {
    const auto& o = c.as_object();
    if (!o.contains("error")) continue;
    ExplainOptions opt;
    opt.expression = str(o, "expression");
    CAPTURE(opt.expression);
    auto out = cron_explain(opt, reportd::jobs::test::at("2026-01-01T00:00:00Z"));
    REQUIRE_FALSE(out.ok());
    const std::string want = expected_error(o.at("error").as_object());
    CHECK_MESSAGE(out.status().message().rfind(want, 0) == 0,
                  out.status().message() << " does not start with " << want);
    ++checked;
  }
  CHECK(checked >= 10);
}
