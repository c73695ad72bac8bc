#include "daemon/config.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>

namespace reportd::daemon {
namespace {

Result<Config> parse(const char* text) { return parse_config(text, "reportd.toml"); }

std::string error_of(const char* text) {
  auto c = parse(text);
  REQUIRE_FALSE(c.ok());
  return c.status().message();
}

TEST_CASE("config: an empty file gives the documented defaults") {
  auto c = parse("");
  REQUIRE(c.ok());
  CHECK(c->max_runs_per_org == 4);
  CHECK(c->catchup_s == 6 * 3600);
  CHECK(c->min_interval_s == 300);
  CHECK(c->api_budget_percent == 90);
  CHECK(c->http_listen == "127.0.0.1:9464");
  CHECK_FALSE(c->smtp.has_value());
}

TEST_CASE("config: every section is read") {
  auto c = parse(R"(
[smtp]
host = "mail.example.com"
port = 587
tls = "starttls"
from = "reports@example.com"

[http]
listen = "127.0.0.1:8080"

[limits]
max_concurrent_runs = 16
max_runs_per_org = 2
run_deadline = "45m"

[defaults]
time_zone = "Europe/Berlin"
catchup = "2h"
min_interval = 60
allowed_domains = ["Example.COM", "example.org"]

[notices]
operator = "ops@Example.com"

[connections.acme]
allowed_domains = ["acme.com", "acme.co.uk"]
)");
  REQUIRE(c.ok());
  REQUIRE(c->smtp.has_value());
  CHECK(c->smtp->host == "mail.example.com");
  CHECK(c->http_listen == "127.0.0.1:8080");
  CHECK(c->max_concurrent_runs == 16);
  CHECK(c->run_deadline_s == 45 * 60);
  CHECK(c->catchup_s == 7200);
  CHECK(c->min_interval_s == 60);
  CHECK(c->operator_email == "ops@example.com");
  CHECK(c->allowed_domains.at("acme").size() == 2);
  CHECK(c->default_allowed_domains == std::vector<std::string>{"example.com", "example.org"});
}

TEST_CASE("config: errors name the file, the key and what is allowed") {
  CHECK(error_of("[limits]\nmax_runs_per_org = 0\n") ==
        "reportd.toml: limits.max_runs_per_org: must be 1..1000, not 0");
  CHECK(error_of("[limits]\nmax_run_per_org = 2\n").find("limits.max_run_per_org: unknown key") !=
        std::string::npos);
  CHECK(error_of("[limits]\nrun_deadline = \"soon\"\n").find("limits.run_deadline") !=
        std::string::npos);
  CHECK(error_of("[http]\nlisten = \"localhost\"\n").find("http.listen: must be HOST:PORT") !=
        std::string::npos);
  CHECK(error_of("[smtpp]\n").find("smtpp: unknown key") != std::string::npos);
  CHECK(error_of("[connections.acme]\nallowed_domains = [\"a@b.com\"]\n")
            .find("connections.acme.allowed_domains: \"a@b.com\" is not a domain name") !=
        std::string::npos);
  CHECK(error_of("[defaults]\nallowed_domains = \"acme.com\"\n")
            .find("defaults.allowed_domains: must be a list") != std::string::npos);
  CHECK(error_of("[notices]\noperator = \"ops, dev@x.com\"\n")
            .find("notices.operator: \"ops\" is not an e-mail address") != std::string::npos);
  CHECK(error_of("[smtp]\nhost = \"x\"\ntls = \"maybe\"\n").find("smtp.tls") !=
        std::string::npos);
  // A TOML syntax error names the line.
  CHECK(error_of("[limits\n").find("reportd.toml:1:") != std::string::npos);
}

TEST_CASE("config: durations") {
  CHECK(*parse_duration("90") == 90);
  CHECK(*parse_duration("90s") == 90);
  CHECK(*parse_duration("15m") == 900);
  CHECK(*parse_duration("6h") == 21600);
  CHECK(*parse_duration("2d") == 172800);
  CHECK_FALSE(parse_duration("").ok());
  CHECK_FALSE(parse_duration("h").ok());
  CHECK_FALSE(parse_duration("5 weeks").ok());
}

TEST_CASE("config: [sync] interval_minutes defaults to 5 and names the key when wrong") {
  CHECK(parse("")->sync_interval_minutes == 5);
  CHECK(parse("[sync]\ninterval_minutes = 15\n")->sync_interval_minutes == 15);
  CHECK(error_of("[sync]\ninterval_minutes = 0\n") ==
        "reportd.toml: sync.interval_minutes: must be 1..1440, not 0");
  CHECK(error_of("[sync]\ninterval_minutes = \"5m\"\n") ==
        "reportd.toml: sync.interval_minutes: must be an integer");
  CHECK(error_of("[sync]\ninterval = 5\n").find("sync.interval: unknown key") !=
        std::string::npos);
  CHECK(error_of("sync = 5\n").find("sync: must be a table") != std::string::npos);
}

TEST_CASE("config: the run caps, the scratch budget and the synced-schedule cap") {
  auto d = parse("");
  REQUIRE(d.ok());
  CHECK(d->max_rows_per_run == 5'000'000);
  CHECK(d->scratch_budget_bytes == 1ll << 30);
  CHECK(d->sync_max_schedules_per_connection == 1000);
  auto c = parse(
      "[limits]\nmax_rows_per_run = 1000\nscratch_max_bytes = 2097152\n"
      "scratch_budget_bytes = 5242880\n[sync]\nmax_schedules_per_connection = 50\n");
  REQUIRE(c.ok());
  CHECK(c->max_rows_per_run == 1000);
  CHECK(c->scratch_budget_bytes == 5242880);
  CHECK(c->sync_max_schedules_per_connection == 50);
  // An unset budget grows with a larger per-run cap; a set one must hold it.
  CHECK(parse("[limits]\nscratch_max_bytes = 4294967296\n")->scratch_budget_bytes == 4294967296);
  CHECK(error_of("[limits]\nscratch_max_bytes = 4194304\nscratch_budget_bytes = 2097152\n") ==
        "reportd.toml: limits.scratch_budget_bytes: must be at least limits.scratch_max_bytes "
        "(4194304), not 2097152");
  CHECK(error_of("[limits]\nmax_rows_per_run = 0\n") ==
        "reportd.toml: limits.max_rows_per_run: must be 1..1000000000, not 0");
}

// The [smtp] table (its TOML is read here, with the rest of the file).
std::string smtp_error(const std::string& body) {
  auto c = parse_config("[smtp]\n" + body, "reportd.toml");
  REQUIRE_FALSE(c.ok());
  return c.status().message();
}

TEST_CASE("config: [store] claim_grace_seconds defaults to 2, takes 0..60 and names the key") {
  CHECK(parse("")->store_claim_grace_seconds == 2);
  CHECK(parse("[store]\nclaim_grace_seconds = 0")->store_claim_grace_seconds == 0);
  CHECK(parse("[store]\nclaim_grace_seconds = 10")->store_claim_grace_seconds == 10);
  CHECK(error_of("[store]\nclaim_grace_seconds = 61") ==
        "reportd.toml: store.claim_grace_seconds: must be 0..60, not 61");
  CHECK(error_of("[store]\nclaim_grace_seconds = 1.5") ==
        "reportd.toml: store.claim_grace_seconds: must be an integer");
  CHECK(error_of("[store]\nclaim_grace_seconds = -1") ==
        "reportd.toml: store.claim_grace_seconds: must be 0..60, not -1");
}

TEST_CASE("config: [smtp] parses in full, and its port defaults by tls mode") {
  auto c = parse(R"([smtp]
host = "smtp.example.com"
tls = "implicit"
username = "u"
password_file = "smtp-password"
from = "reports@example.com"
from_name = "Reports"
ca_file = "/etc/ssl/ca.pem"
helo_name = "reportd.example.com"
timeout_seconds = 30
max_message_bytes = 4096)");
  REQUIRE(c.ok());
  CHECK(c->smtp->port == 465);
  CHECK(c->smtp->ca_file == "/etc/ssl/ca.pem");
  CHECK(c->smtp->from_name == "Reports");
  CHECK(c->smtp->step_timeout == std::chrono::seconds(30));
  CHECK(c->smtp->max_message_bytes == 4096);
  CHECK(parse("[smtp]\nhost = \"h.example.com\"\nfrom = \"a@example.com\"")->smtp->port == 587);
}

TEST_CASE("config: [smtp] errors name the key") {
  const std::string ok = "host = \"h\"\nfrom = \"a@example.com\"\n";
  CHECK(smtp_error("from = \"a@example.com\"").rfind("reportd.toml: smtp.host:", 0) == 0);
  CHECK(smtp_error(ok + "tls = \"ssl\"").rfind("reportd.toml: smtp.tls:", 0) == 0);
  CHECK(smtp_error(ok + "port = 70000").rfind("reportd.toml: smtp.port:", 0) == 0);
  CHECK(smtp_error(ok + "username = \"u\"").rfind("reportd.toml: smtp.password_file:", 0) == 0);
  CHECK(smtp_error("host = \"h\"\nfrom = \"not an address\"").rfind("reportd.toml: smtp.from:", 0) ==
        0);
  CHECK(smtp_error(ok + "pasword_file = \"x\"")
            .rfind("reportd.toml: smtp.pasword_file: unknown key", 0) == 0);
  CHECK(smtp_error(ok + "port = \"25\"").rfind("reportd.toml: smtp.port: must be an integer", 0) ==
        0);
}

TEST_CASE("config: [smtp] tls = none only for a loopback relay") {
  CHECK(parse("[smtp]\nhost = \"127.0.0.1\"\nfrom = \"a@example.com\"\ntls = \"none\"").ok());
  CHECK(parse("[smtp]\nhost = \"localhost\"\nfrom = \"a@example.com\"\ntls = \"none\"")->smtp->port ==
        25);
  CHECK(smtp_error("host = \"smtp.example.com\"\nfrom = \"a@example.com\"\ntls = \"none\"")
            .find("loopback") != std::string::npos);
}

}  // namespace
}  // namespace reportd::daemon
