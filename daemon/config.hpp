#pragma once
// The daemon's configuration: /etc/reportd/reportd.toml or --config FILE.
// A plain struct with a default for every field, validated once by
// load_config() and passed as const&. All of the file's TOML is read here.
// SIGHUP builds a new one and keeps the old one when the new one is bad;
// which keys a running daemon then applies (each component's apply()) is
// README's "What SIGHUP changes".

#include <cstdint>
#include <map>
#include <set>
#include <optional>
#include <string>
#include <vector>

#include "jobs/deliver/smtp_config.hpp"
#include "table/status.hpp"

namespace reportd::daemon {

struct Config {
  std::string path;  // where it was read from; empty: built-in defaults

  // [smtp]: the relay mail goes through; unset until configured.
  std::optional<deliver::SmtpConfig> smtp;

  // [salesforce]
  std::string salesforce_ca_file;   // PEM trusted in addition to the system store
  std::string api_version = "61.0";
  std::int64_t request_timeout_s = 120;

  // [http]
  std::string http_listen = "127.0.0.1:9464";  // health, metrics, OAuth callback

  // [limits]
  std::int64_t max_concurrent_runs = 8;
  std::int64_t max_runs_per_org = 4;
  std::int64_t run_deadline_s = 30 * 60;
  // The API-budget guard (README "When schedules run", DESIGN.md §4.3).
  std::int64_t api_budget_percent = 90;
  std::int64_t scratch_max_bytes = 512ll << 20;  // rendered outputs of one run, temp files included
  // All runs' scratch together (the sum of what concurrent runs hold); at
  // least scratch_max_bytes (unset: raised to it). Keep it under the size of
  // the scratch mount (systemd/reportd.service).
  std::int64_t scratch_budget_bytes = 1ll << 30;
  // Rows one run may carry (all tables); the REST and Bulk page counts are
  // bounded by it too (rows / 200 pages, the smallest page Salesforce sends).
  std::int64_t max_rows_per_run = 5'000'000;
  std::int64_t failures_before_pause = 5;

  // [defaults] for schedules that do not say
  std::string default_tz = "UTC";
  std::int64_t catchup_s = 6 * 3600;
  std::int64_t min_interval_s = 300;
  // Recipient domains of a connection that has no list of its own; synced
  // schedules need one (jobs::allowed_domains()).
  std::vector<std::string> default_allowed_domains;

  // [notices]
  std::string operator_email;  // gets failure notices; empty: none (checked by deliver::parse_address)

  // [sync]: schedules defined in Salesforce (DESIGN.md §4.7).
  std::int64_t sync_interval_minutes = 5;  // each connection's records are read this often
  // Synced schedules one connection may have; records past it are refused
  // (Invalid, with the reason written back).
  std::int64_t sync_max_schedules_per_connection = 1000;

  // [store]: where connections, schedules and runs live. No url: SQLite in
  // the state directory. A postgresql:// URL (store/open.hpp) holds no
  // password: that is read from password_file (relative: under
  // $CREDENTIALS_DIRECTORY), else from $CREDENTIALS_DIRECTORY/store-password.
  std::string store_url;
  std::string store_password_file;
  // How long a node's lease on a run lasts without renewal (DESIGN.md
  // §4.10): a killed or paused node's runs pass to another node after it.
  // The heartbeat renews leases every third of it (at most every 5 s).
  std::int64_t store_lease_seconds = 30;
  // How often the daemon reads the store for changes to connections and
  // schedules it was not told of: the fallback for the CLI's wake and, on
  // PostgreSQL, for LISTEN/NOTIFY (both tell at once). Read at the
  // heartbeat that follows it.
  std::int64_t store_check_seconds = 5;
  // Several nodes: how long a node holds back a due occurrence of a
  // schedule another node owns before it claims it itself (its owner dead,
  // paused or late). 0: every node claims every occurrence at once.
  std::int64_t store_claim_grace_seconds = 2;

  // [connections.NAME]: allowed recipient domains per connection.
  std::map<std::string, std::vector<std::string>> allowed_domains;
  // [connections.NAME] allow_integration = true: synced schedules of that
  // connection may run as the integration user (DESIGN.md §4.9).
  std::set<std::string> integration_allowed;
};

// Reads and validates `path`. Errors name the file, the key and what to do:
// "reportd.toml: limits.max_runs_per_org: must be 1..1000, not 0".
// `required` false: a missing file gives the defaults.
Result<Config> load_config(const std::string& path, bool required);
Result<Config> parse_config(std::string_view text, const std::string& path);

// "90s", "15m", "6h", "2d" or a bare number of seconds.
Result<std::int64_t> parse_duration(std::string_view text);

}  // namespace reportd::daemon
