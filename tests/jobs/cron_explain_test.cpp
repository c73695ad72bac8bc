// Specification of `reportd cron explain` output (text and JSON).
#include "jobs/cron_explain.hpp"

#include <boost/json.hpp>
#include <doctest/doctest.h>

#include "tests/jobs/time_text.hpp"

using reportd::jobs::cron_explain;
using reportd::jobs::ExplainOptions;
using reportd::jobs::test::at;

TEST_CASE("cron explain: JSON lists fires with utc, local and the DST move") {
  ExplainOptions o;
  o.expression = "30 2 * * *";
  o.zone = "Europe/Berlin";
  o.from = "2026-03-28T12:00:00Z";
  o.count = 2;
  o.json = true;
  auto out = cron_explain(o, at("2000-01-01T00:00:00Z"));
  REQUIRE_MESSAGE(out.ok(), out.status().message());
  const boost::json::object j = boost::json::parse(*out).as_object();
  CHECK(j.at("normalized").as_string() == "30 2 * * *");
  CHECK(j.at("kind").as_string() == "fixed-time");
  const auto& fires = j.at("fires").as_array();
  REQUIRE(fires.size() == 2);
  CHECK(fires[0].at("utc").as_string() == "2026-03-29T01:00:00Z");
  CHECK(fires[0].at("local").as_string() == "2026-03-29T03:00:00+02:00");
  CHECK(fires[0].at("nominal_local").as_string() == "2026-03-29T02:30:00");
  CHECK(fires[0].at("moved_by_dst").as_bool());
  CHECK(fires[0].at("dst").as_string() == "gap");
  CHECK(fires[1].at("utc").as_string() == "2026-03-30T00:30:00Z");
  CHECK_FALSE(fires[1].at("moved_by_dst").as_bool());
  CHECK(fires[1].at("dst").is_null());
}

TEST_CASE("cron explain: text marks moved fires; --from is inclusive; default is now") {
  ExplainOptions o;
  o.expression = "0 30 2 * * *";
  o.zone = "Europe/Berlin";
  o.count = 3;
  auto out = cron_explain(o, at("2026-03-28T01:30:00Z"));
  REQUIRE(out.ok());
  INFO(*out);
  CHECK(out->find("expression: 30 2 * * * (fixed-time)") != std::string::npos);
  CHECK(out->find("2026-03-28T02:30:00+01:00  2026-03-28T01:30:00Z\n") != std::string::npos);
  CHECK(out->find("2026-03-29T03:00:00+02:00  2026-03-29T01:00:00Z  [moved by DST]") !=
        std::string::npos);
}

TEST_CASE("cron explain: never, and errors that say what to fix") {
  ExplainOptions o;
  o.expression = "0 0 30 2 *";
  auto never = cron_explain(o, at("2026-01-01T00:00:00Z"));
  REQUIRE(never.ok());
  CHECK(never->find("never fires") != std::string::npos);
  o.json = true;
  auto j = cron_explain(o, at("2026-01-01T00:00:00Z"));
  REQUIRE(j.ok());
  CHECK(boost::json::parse(*j).at("fires").as_array().empty());

  o.expression = "0 0 0 31 2 ? 2026";
  auto q = cron_explain(o, at("2026-01-01T00:00:00Z"));
  CHECK(q.status().message().find("cron: 7 fields") == 0);
  o.expression = "0 0 * * *";
  o.zone = "Mars/Olympus";
  CHECK(cron_explain(o, at("2026-01-01T00:00:00Z")).status().message().find("--tz: time zone `Mars/Olympus`") == 0);
  o.zone = "UTC";
  o.from = "yesterday";
  CHECK(cron_explain(o, at("2026-01-01T00:00:00Z")).status().message().find("--from `yesterday`") == 0);
  o.from = "2026-03-29T03:00:00.250+02:00";
  auto ok = cron_explain(o, at("2026-01-01T00:00:00Z"));
  REQUIRE_MESSAGE(ok.ok(), ok.status().message());
  CHECK(boost::json::parse(*ok).at("from").as_string() == "2026-03-29T01:00:00Z");
  o.count = 0;
  CHECK(cron_explain(o, at("2026-01-01T00:00:00Z")).status().message().find("-n 0") == 0);
}
