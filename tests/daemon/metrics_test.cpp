// The Prometheus text rendering (format 0.0.4), Metrics and Health.
#include "daemon/metrics.hpp"

#include <doctest/doctest.h>

#include "daemon/health.hpp"
#include "daemon/prometheus_text.hpp"

namespace reportd::daemon {
namespace {

using namespace std::chrono_literals;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("prometheus: label values escape backslash, double quote and line feed") {
  CHECK(prom::escape_label_value(R"(a\b)") == R"(a\\b)");
  CHECK(prom::escape_label_value("say \"hi\"") == R"(say \"hi\")");
  CHECK(prom::escape_label_value("two\nlines") == R"(two\nlines)");
  CHECK(prom::escape_label_value("Ångström 北京") == "Ångström 北京");
}

TEST_CASE("prometheus: HELP escapes backslash and line feed but not quotes") {
  CHECK(prom::escape_help("a \"q\" \\ b\nc") == "a \"q\" \\\\ b\\nc");
}

TEST_CASE("prometheus: values are integers, shortest decimals or special names") {
  CHECK(prom::format_value(0) == "0");
  CHECK(prom::format_value(42) == "42");
  CHECK(prom::format_value(-3) == "-3");
  CHECK(prom::format_value(0.25) == "0.25");
  CHECK(prom::format_value(1.5e-7) == "1.5e-07");
  CHECK(prom::format_value(1e300) == "1e+300");
  CHECK(prom::format_value(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(prom::format_value(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(prom::format_value(std::numeric_limits<double>::quiet_NaN()) == "NaN");
}

TEST_CASE("prometheus: a counter family with escaped labels") {
  prom::Family f;
  f.name = "reportd_things_total";
  f.help = "Things.\nSecond line.";
  f.type = prom::Type::kCounter;
  prom::Sample s;
  s.labels = {{"connection", "a\"b\\c\nd"}, {"state", "ok"}};
  s.value = 3;
  f.samples.push_back(s);
  std::string out;
  prom::render(f, out);
  CHECK(out ==
        "# HELP reportd_things_total Things.\\nSecond line.\n"
        "# TYPE reportd_things_total counter\n"
        "reportd_things_total{connection=\"a\\\"b\\\\c\\nd\",state=\"ok\"} 3\n");
}

TEST_CASE("prometheus: a histogram has cumulative buckets, +Inf, _sum and _count") {
  prom::Histogram h({1, 5, 10});
  h.observe(0.5);
  h.observe(1);  // le is inclusive: lands in the 1 bucket
  h.observe(7);
  h.observe(99);  // only in +Inf
  CHECK(h.count() == 4);
  prom::Family f;
  f.name = "x_seconds";
  f.help = "X.";
  f.type = prom::Type::kHistogram;
  prom::Sample s;
  s.labels = {{"k", "v"}};
  s.histogram = h;
  f.samples.push_back(s);
  std::string out;
  prom::render(f, out);
  CHECK(out ==
        "# HELP x_seconds X.\n"
        "# TYPE x_seconds histogram\n"
        "x_seconds_bucket{k=\"v\",le=\"1\"} 2\n"
        "x_seconds_bucket{k=\"v\",le=\"5\"} 2\n"
        "x_seconds_bucket{k=\"v\",le=\"10\"} 3\n"
        "x_seconds_bucket{k=\"v\",le=\"+Inf\"} 4\n"
        "x_seconds_sum{k=\"v\"} 107.5\n"
        "x_seconds_count{k=\"v\"} 4\n");
}

TEST_CASE("prometheus: an unlabelled histogram puts le alone in braces") {
  prom::Family f;
  f.name = "h";
  f.help = "H.";
  f.type = prom::Type::kHistogram;
  prom::Sample s;
  s.histogram = prom::Histogram({0.5});
  f.samples.push_back(s);
  std::string out = prom::render({f});
  CHECK(contains(out, "h_bucket{le=\"0.5\"} 0\n"));
  CHECK(contains(out, "h_bucket{le=\"+Inf\"} 0\n"));
  CHECK(contains(out, "h_sum 0\nh_count 0\n"));
}

TEST_CASE("metrics: runs, deliveries and orgs appear with their types") {
  Metrics m("1.2.3");
  RunSample r;
  r.state = "succeeded";
  r.duration_s = 3;
  r.lag_s = 0.2;
  r.rows = 300;
  r.bytes = 4096;
  m.run_finished(r);
  RunSample failed;
  failed.state = "failed";
  m.run_finished(failed);
  m.delivery("smtp", "sent", 2);
  OrgSample o;
  o.connection = "acme \"eu\"";
  o.token_requests = 2;
  o.token_failures = 1;
  o.api_used = 25;
  o.api_limit = 15000;
  m.org(o);
  m.schedules(3, 1);
  std::string out = m.render();
  CHECK(contains(out, "reportd_build_info{version=\"1.2.3\"} 1\n"));
  CHECK(contains(out, "# TYPE reportd_runs_total counter\n"));
  CHECK(contains(out, "reportd_runs_total{state=\"succeeded\"} 1\n"));
  CHECK(contains(out, "reportd_runs_total{state=\"failed\"} 1\n"));
  CHECK(contains(out, "reportd_runs_total{state=\"missed\"} 0\n"));
  CHECK(contains(out, "# TYPE reportd_run_duration_seconds histogram\n"));
  CHECK(contains(out, "reportd_run_duration_seconds_bucket{le=\"5\"} 1\n"));
  CHECK(contains(out, "reportd_run_duration_seconds_count 1\n"));
  CHECK(contains(out, "reportd_scheduler_lag_seconds_bucket{le=\"0.25\"} 1\n"));
  CHECK(contains(out, "reportd_run_rows_total 300\n"));
  CHECK(contains(out, "reportd_run_bytes_total 4096\n"));
  CHECK(contains(out, "reportd_deliveries_total{channel=\"smtp\",result=\"sent\"} 2\n"));
  CHECK(contains(out, "reportd_deliveries_total{channel=\"files\",result=\"failed\"} 0\n"));
  CHECK(contains(out, "reportd_token_refreshes_total{connection=\"acme \\\"eu\\\"\"} 2\n"));
  CHECK(contains(out, "reportd_token_refresh_failures_total{connection=\"acme \\\"eu\\\"\"} 1\n"));
  CHECK(contains(out, "reportd_salesforce_api_usage{connection=\"acme \\\"eu\\\"\"} 25\n"));
  CHECK(contains(out, "reportd_salesforce_api_limit{connection=\"acme \\\"eu\\\"\"} 15000\n"));
  CHECK(contains(out, "reportd_schedules{state=\"active\"} 3\n"));
  CHECK(contains(out, "reportd_schedules{state=\"paused\"} 1\n"));
}

TEST_CASE("metrics: token counters stay monotonic when an org's client is rebuilt") {
  Metrics m("v");
  OrgSample o;
  o.connection = "acme";
  o.token_requests = 5;
  m.org(o);
  o.token_requests = 1;  // a new client counts from zero again
  m.org(o);
  o.token_requests = 2;
  m.org(o);
  CHECK(contains(m.render(), "reportd_token_refreshes_total{connection=\"acme\"} 7\n"));
}

TEST_CASE("metrics: user tokens (run as) by connection: grants, refusals, held now") {
  Metrics m("v");
  OrgSample o;
  o.connection = "acme";
  o.user_token_requests = 3;
  o.user_token_failures = 1;
  o.user_tokens_cached = 2;
  m.org(o);
  std::string out = m.render();
  CHECK(contains(out, "# TYPE reportd_user_token_requests_total counter\n"));
  CHECK(contains(out, "reportd_user_token_requests_total{connection=\"acme\"} 3\n"));
  CHECK(contains(out, "reportd_user_token_failures_total{connection=\"acme\"} 1\n"));
  CHECK(contains(out, "# TYPE reportd_user_tokens_cached gauge\n"));
  CHECK(contains(out, "reportd_user_tokens_cached{connection=\"acme\"} 2\n"));
}

TEST_CASE("health: starting, alive, store failure, stalled, stopping") {
  Health h(20s);
  auto t0 = Health::Clock::now();
  auto v = h.check(t0);
  CHECK_FALSE(v.ok);
  CHECK(contains(v.reason, "starting"));

  h.beat(t0, Status());
  v = h.check(t0 + 3s);
  CHECK(v.ok);
  CHECK(contains(v.reason, "3 s ago"));

  h.beat(t0 + 5s, Status::error(ErrorKind::kIo, "record daemon state: database is locked"));
  v = h.check(t0 + 6s);
  CHECK_FALSE(v.ok);
  CHECK(contains(v.reason, "store write failed"));
  CHECK(contains(v.reason, "database is locked"));

  h.beat(t0 + 10s, Status());
  CHECK(h.check(t0 + 11s).ok);
  v = h.check(t0 + 31s);
  CHECK_FALSE(v.ok);
  CHECK(contains(v.reason, "stalled"));
  CHECK(contains(v.reason, "21 s ago"));

  h.beat(t0 + 32s, Status());
  h.stopping();
  v = h.check(t0 + 33s);
  CHECK_FALSE(v.ok);
  CHECK(contains(v.reason, "stopping"));
}

}  // namespace
}  // namespace reportd::daemon
