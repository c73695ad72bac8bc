// Command-line options of reportd-sfsim: data sizes and fault knobs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace reportd::sim {

/// Fault knobs. All are counts or switches so tests can trigger them
/// deterministically; they can be changed at runtime with POST /__sim/faults.
struct Faults {
  std::uint64_t session_expires_after = 0;  // 0 = never; else each access token serves N API calls
  bool rotate_refresh_token = false;        // refresh grant returns a new refresh token, old one dies
  bool invalid_grant = false;               // every token grant answers 400 invalid_grant
  std::uint64_t limit_exceeded_after = 0;   // 0 = never; API calls past N get 403 REQUEST_LIMIT_EXCEEDED
  std::uint64_t html_503_every = 0;         // 0 = never; every Nth API call gets a 503 HTML page
  std::uint64_t html_503_after = 0;         // 0 = never; every API call past N gets a 503 HTML page
  std::uint64_t slow_ms = 0;                // delay before every API response
  std::uint64_t cut_body_every = 0;         // 0 = never; every Nth API response is cut mid-body
  bool invalid_locator = false;             // every nextRecordsUrl answers INVALID_QUERY_LOCATOR
  bool loop_locator = false;                // nextRecordsUrl and Bulk locators point back at page 2
  // Token responses name this org and instance instead of the simulator's
  // own ("" = its own): a login host handing out another org's token.
  std::string token_org_id;
  std::string token_instance_url;
  // "Object.Field" names this org lacks, as an org whose object was deployed
  // before the field existed: SOQL (REST, Bulk), reports and writes naming
  // one answer INVALID_FIELD, as for a field hidden from the user.
  std::vector<std::string> missing_fields;
};

/// Everything main() needs; validated once by parse_options.
struct Options {
  std::string listen_host = "127.0.0.1";   // --listen HOST:PORT
  int listen_port = 0;                     // 0 = any free port
  std::string state_dir;                   // --state-dir, required
  std::uint64_t rows_account = 5000;       // --rows-account
  std::uint64_t rows_contact = 12000;      // --rows-contact
  std::uint64_t rows_opportunity = 8000;   // --rows-opportunity
  std::uint64_t page_size = 2000;          // --page-size, default REST query page
  std::string marker;                      // --marker, planted into some string values
  std::string api_version = "62.0";        // --api-version, newest advertised version
  std::uint64_t api_max = 100000;          // --api-max, allocation in Sforce-Limit-Info
  std::uint64_t org_number = 0;            // --org-number, which org: its org and user ids
  std::string request_log;                 // --request-log FILE, method+path per line
  std::uint64_t orgs = 0;                  // --orgs N: N orgs in this process (0: one, as before)
  std::uint64_t latency_ms = 0;            // --latency-ms N: added to every call, token ones too
  std::uint64_t threads = 0;               // --threads N: connections served at once (0: auto)
  Faults faults;
};

/// Parses argv. Returns false and fills err on bad input; sets help when
/// --help was asked for.
bool parse_options(int argc, char** argv, Options& out, bool& help, std::string& err);

/// The --help text.
std::string usage_text();

}  // namespace reportd::sim
