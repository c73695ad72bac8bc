#include "options.hpp"

#include <charconv>
#include <cstring>
#include <functional>
#include <map>

namespace reportd::sim {
namespace {

bool parse_u64(const std::string& s, std::uint64_t& out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

using Valued = std::map<std::string, std::function<bool(const std::string&)>>;

// Many orgs in one process, and the latency and threads that go with them.
void add_scale_options(Valued& valued, Options& out) {
  valued["--orgs"] = [&](const std::string& v) { return parse_u64(v, out.orgs) && out.orgs <= 60000; };
  valued["--latency-ms"] = [&](const std::string& v) { return parse_u64(v, out.latency_ms); };
  valued["--threads"] = [&](const std::string& v) { return parse_u64(v, out.threads) && out.threads > 0; };
}

}  // namespace

std::string usage_text() {
  return R"(reportd-sfsim: a Salesforce simulator for reportd tests (HTTPS, OAuth, REST
query, Reports, Bulk 2.0, sObject writes, ContentVersion).

Usage: reportd-sfsim --listen 127.0.0.1:0 --state-dir DIR [options]

Prints its base URL (https://127.0.0.1:PORT) as the first stdout line, writes
DIR/ca.pem, DIR/org.json, DIR/jwt_key.pem and DIR/jwt_cert.pem, then serves
until SIGTERM or SIGINT (exit 0).

Data (generated from the row index on demand, never stored):
  --rows-account N          Account rows (default 5000)
  --rows-contact N          Contact rows (default 12000)
  --rows-opportunity N      Opportunity rows (default 8000)
  --page-size N             REST query page size (default 2000)
  --marker TEXT             plant TEXT into string values of every 5th row
                            (Account.Name/Description, Contact.LastName,
                            Opportunity.Name/Description, ...)
  --api-version V           newest API version advertised (default 62.0)
  --api-max N               daily allocation shown in Sforce-Limit-Info (default 100000)
  --org-number N            which org this is: its org and user ids (default 0); two
                            simulators with different numbers are two orgs
  --request-log FILE        append "METHOD PATH STATUS" per request

Many orgs in one process:
  --orgs N                  serve N orgs (numbers 1..N), org k on its own loopback
                            address 127.100.(k/250).(k%250+1) and the same port, each
                            with its own ids, OAuth client, tokens, users, written
                            records and --marker (TEXT-k-); listens on 0.0.0.0 but
                            answers loopback clients only; writes DIR/orgs.json
                            (org 1 also to DIR/org.json). Each org is built on its
                            first request.
  --latency-ms N            wait N ms before answering every call (OAuth ones too,
                            not /__sim); holds only the caller's connection
  --threads N               connections served at once (default 64, with --orgs
                            64 + 2 per org: an idle keep-alive connection holds one)

Faults (deterministic counts; change at runtime with POST /__sim/faults):
  --session-expires-after N each access token serves N API calls, then 401
                            INVALID_SESSION_ID
  --rotate-refresh-token    refresh grant returns a new refresh_token and
                            invalidates the old one
  --invalid-grant           every token request answers 400 invalid_grant
  --limit-exceeded-after N  API calls after the Nth answer 403 REQUEST_LIMIT_EXCEEDED
  --html-503-every N        every Nth API call answers 503 with an HTML body
  --html-503-after N        every API call after the Nth answers 503 HTML
  --slow-ms N               sleep N ms before every API response
  --cut-body-every N        every Nth API response is cut mid-body (connection closed)
  --invalid-locator         query locators (nextRecordsUrl) answer 400
  --loop-locator            nextRecordsUrl and Bulk result locators always lead
                            to the second page, so paging never ends
                            INVALID_QUERY_LOCATOR
  --token-org-id ID         token responses name org ID (their identity URL), as a
                            login host handing out another org's token would
  --token-instance-url URL  token responses name URL as the instance

Test hooks (loopback only): GET/POST /__sim/faults, GET /__sim/stats,
GET /__sim/requests, POST /__sim/reset.
)";
}

bool parse_options(int argc, char** argv, Options& out, bool& help, std::string& err) {
  help = false;
  Valued valued = {
      {"--state-dir", [&](const std::string& v) { out.state_dir = v; return !v.empty(); }},
      {"--marker", [&](const std::string& v) { out.marker = v; return true; }},
      {"--api-version", [&](const std::string& v) { out.api_version = v; return !v.empty(); }},
      {"--request-log", [&](const std::string& v) { out.request_log = v; return true; }},
      {"--rows-account", [&](const std::string& v) { return parse_u64(v, out.rows_account); }},
      {"--rows-contact", [&](const std::string& v) { return parse_u64(v, out.rows_contact); }},
      {"--rows-opportunity", [&](const std::string& v) { return parse_u64(v, out.rows_opportunity); }},
      {"--page-size", [&](const std::string& v) { return parse_u64(v, out.page_size) && out.page_size > 0; }},
      {"--api-max", [&](const std::string& v) { return parse_u64(v, out.api_max) && out.api_max > 0; }},
      {"--org-number", [&](const std::string& v) { return parse_u64(v, out.org_number); }},
      {"--session-expires-after", [&](const std::string& v) { return parse_u64(v, out.faults.session_expires_after); }},
      {"--limit-exceeded-after", [&](const std::string& v) { return parse_u64(v, out.faults.limit_exceeded_after); }},
      {"--html-503-every", [&](const std::string& v) { return parse_u64(v, out.faults.html_503_every); }},
      {"--html-503-after", [&](const std::string& v) { return parse_u64(v, out.faults.html_503_after); }},
      {"--slow-ms", [&](const std::string& v) { return parse_u64(v, out.faults.slow_ms); }},
      {"--cut-body-every", [&](const std::string& v) { return parse_u64(v, out.faults.cut_body_every); }},
      {"--token-org-id", [&](const std::string& v) { out.faults.token_org_id = v; return true; }},
      {"--token-instance-url", [&](const std::string& v) { out.faults.token_instance_url = v; return true; }},
      {"--listen",
       [&](const std::string& v) {
         auto colon = v.rfind(':');
         if (colon == std::string::npos) return false;
         out.listen_host = v.substr(0, colon);
         std::uint64_t port = 0;
         if (!parse_u64(v.substr(colon + 1), port) || port > 65535) return false;
         out.listen_port = static_cast<int>(port);
         return !out.listen_host.empty();
       }},
  };
  add_scale_options(valued, out);
  std::map<std::string, bool*> switches = {
      {"--rotate-refresh-token", &out.faults.rotate_refresh_token},
      {"--invalid-grant", &out.faults.invalid_grant},
      {"--invalid-locator", &out.faults.invalid_locator},
      {"--loop-locator", &out.faults.loop_locator},
  };
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool has_value = false;
    if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    if (arg == "--help" || arg == "-h") {
      help = true;
      return true;
    }
    if (auto s = switches.find(arg); s != switches.end()) {
      *s->second = true;
      continue;
    }
    auto v = valued.find(arg);
    if (v == valued.end()) {
      err = "unknown option " + arg;
      return false;
    }
    if (!has_value) {
      if (i + 1 >= argc) {
        err = "option " + arg + " needs a value";
        return false;
      }
      value = argv[++i];
    }
    if (!v->second(value)) {
      err = "bad value for " + arg + ": '" + value + "'";
      return false;
    }
  }
  if (out.state_dir.empty()) {
    err = "--state-dir is required";
    return false;
  }
  return true;
}

}  // namespace reportd::sim
