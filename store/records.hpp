#pragma once
// Plain records the store keeps. None of them ever holds a record value from
// Salesforce: only configuration, counts, sizes, times and error codes.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace reportd::store {

using Bytes = std::vector<std::uint8_t>;

// Whether a connection may be used. The DB and the CLI show the text forms
// "ok", "needs-reauth" and "org-mismatch" (to_string / connection_status_from).
enum class ConnectionStatus {
  kActive,       // "ok": runs and syncs use it
  kNeedsReauth,  // "needs-reauth": Salesforce refused the stored grant
  kOrgMismatch,  // "org-mismatch": a token of another org than the pinned one was refused
};

std::string_view to_string(ConnectionStatus status);
std::optional<ConnectionStatus> connection_status_from(std::string_view s);

// The JWT bearer configuration of a connection (DESIGN.md §4.9): with it,
// reportd mints an access token for any pre-authorized user of the org.
// All empty: the connection has none.
struct JwtSetting {
  std::string client_id;    // the connected app's consumer key (the `iss` claim)
  Bytes sealed_key;         // RSA private key in PEM, sealed like the tokens
  std::string key_sha256;   // SHA-256 of the public key, "AB:CD:..."
  std::string cert_sha256;  // SHA-256 of the uploaded certificate; empty when none was given
  bool configured() const { return !client_id.empty() && !sealed_key.empty(); }
};

// A connected Salesforce org. Secrets are stored sealed by crypto::Vault.
// `id` is never reused, not even after the row is removed (AUTOINCREMENT).
struct Connection {
  std::int64_t id = 0;
  std::string name;           // operator's handle, unique
  std::string login_url;      // e.g. https://login.salesforce.com
  std::string client_id;      // connected app consumer key (not a secret)
  Bytes sealed_client_secret;  // empty when the app has none
  // 00D…: pinned by `--org-id` or by the first token response; every later
  // token must be of this org (jobs/connections.hpp). Empty until pinned.
  std::string org_id;
  std::string instance_url;   // empty until first refresh
  Bytes sealed_refresh_token;
  std::string key_id;         // key that sealed the tokens (see crypto::Vault)
  ConnectionStatus status = ConnectionStatus::kActive;
  std::string status_reason;
  // Bumped whenever the credential is replaced from outside (re-authorized):
  // a cache of this connection is valid only for the (id, generation) it
  // was built for. Not bumped by a rotation the connection's own client made.
  std::int64_t generation = 1;
  // Recipient domains this org may mail (`connections add/set
  // --allowed-domains`), lower-case; see jobs::allowed_domains().
  std::vector<std::string> allowed_domains;
  std::int64_t created_at_ms = 0;
  JwtSetting jwt;  // sealed under key_id too
};

// Where a schedule comes from. The DB and the CLI show the text forms
// "local" (made with the CLI) and "salesforce" (synced from the org's
// schedule records; the CLI refuses to change it) (to_string /
// schedule_origin_from).
enum class ScheduleOrigin { kLocal, kSalesforce };

std::string_view to_string(ScheduleOrigin origin);
std::optional<ScheduleOrigin> schedule_origin_from(std::string_view s);

// When a run that has rows sends them (DESIGN.md §1). The DB and the CLI
// show the text forms "always" and "changed": send only when the rows differ
// from the last ones sent; the store keeps a keyed hash, never the rows
// (to_string / send_when_from).
enum class SendWhen { kAlways, kChanged };

std::string_view to_string(SendWhen when);
std::optional<SendWhen> send_when_from(std::string_view s);

// Whose Salesforce access a schedule's runs use (DESIGN.md §4.9). The DB and
// the CLI show the text forms "integration" (the connection's own user),
// "owner" (the record owner of a synced schedule) and "user:NAME" (that
// username) (to_string / run_as_from).
enum class RunAsKind { kIntegration, kOwner, kUser };
struct RunAs {
  RunAsKind kind = RunAsKind::kIntegration;
  std::string username;  // kUser only
  bool operator==(const RunAs&) const = default;
};

std::string to_string(const RunAs& run_as);
std::optional<RunAs> run_as_from(std::string_view s);

enum class SourceKind { kSoql, kReport, kBulk };
enum class Overlap { kSkip, kQueue };

std::string_view to_string(SourceKind kind);
std::optional<SourceKind> source_kind_from(std::string_view s);

struct Schedule {
  std::int64_t id = 0;  // never reused, not even after the row is removed
  std::string name;  // unique
  std::int64_t connection_id = 0;
  ScheduleOrigin origin = ScheduleOrigin::kLocal;
  std::string sf_record_id;  // the schedule record in Salesforce, if synced
  std::string cron;
  std::string tz = "UTC";
  SourceKind source_kind = SourceKind::kSoql;
  std::string source;  // SOQL text or report id
  // "csv" and "xlsx" are attached; "html" puts a preview of the rows in the mail body.
  std::vector<std::string> formats;
  // Addresses as deliver::split_recipients() gives them; stored one a line.
  std::vector<std::string> recipients;
  std::string subject;
  bool send_when_empty = false;
  std::int64_t min_rows = 0;
  std::string files_target;  // record id for Salesforce Files, empty: none
  bool paused = false;
  std::string pause_reason;
  std::int64_t catchup_seconds = 6 * 3600;  // DESIGN.md §4.3
  Overlap overlap = Overlap::kSkip;
  std::int64_t splay_seconds = 0;
  std::int64_t min_interval_seconds = 300;
  std::int64_t created_at_ms = 0;
  std::string owner_email;  // gets failure notices; the record owner for synced schedules
  // Text from `schedules add/set --body` or the record's Body__c, shown in
  // the mail above the generated summary; empty: the summary alone.
  std::string body;
  SendWhen send_when = SendWhen::kAlways;
  RunAs run_as;                // whose access the runs use
  std::string owner_username;  // synced: the record owner's Username (run_as owner)
  // Each recipient who is an active user of the org gets the report run as
  // themselves; run_as then only decides who looks the recipients up.
  bool burst = false;
};

// What Store::list_active_schedules() reads of an unpaused schedule: the
// fields of Schedule that decide when it fires, and its latest claim. Small,
// because the scheduler reads every schedule at once.
struct ActiveSchedule {
  std::int64_t id = 0;
  std::string name;
  std::int64_t connection_id = 0;
  std::string cron;
  std::string tz = "UTC";
  std::int64_t catchup_seconds = 6 * 3600;
  Overlap overlap = Overlap::kSkip;
  std::int64_t splay_seconds = 0;
  std::int64_t min_interval_seconds = 300;
  std::int64_t created_at_ms = 0;
  std::optional<std::int64_t> last_nominal_s;  // its latest claimed occurrence

  // A Schedule with these fields and the others at their defaults.
  Schedule schedule() const;
};

// DESIGN.md §4.4.
enum class RunState {
  kPending,
  kRunning,
  kDelivering,
  kSucceeded,
  kFailed,
  kSkipped,
  kMissed,
  kCancelled,
};

std::string_view to_string(RunState state);
std::optional<RunState> run_state_from(std::string_view s);
bool is_final(RunState state);

// One occurrence of a schedule; (schedule_id, nominal_s) is unique.
struct Run {
  std::int64_t id = 0;
  std::int64_t schedule_id = 0;
  std::int64_t nominal_s = 0;  // the occurrence's UTC instant, seconds
  RunState state = RunState::kPending;
  std::string reason;      // why skipped/failed/missed; never record values
  std::string error_code;  // e.g. "MALFORMED_QUERY", "smtp-550"
  std::int64_t attempt = 0;
  std::int64_t claimed_at_ms = 0;
  std::int64_t started_at_ms = 0;
  std::int64_t finished_at_ms = 0;
  std::int64_t disposed_at_ms = 0;
  std::int64_t rows = 0;
  std::int64_t bytes = 0;
  bool truncated = false;
  // The username whose access the run used, or "integration"; empty until
  // the run chose (DESIGN.md §4.9).
  std::string ran_as;
  // Several nodes: the bytes of the scratch budget this run holds while it
  // goes (set when it is admitted; store/migration_scratch.hpp).
  std::int64_t scratch_reserved = 0;
};

// kRefused: reportd itself refused the recipient before anything was sent
// (outside the connection's allowed domains); `error` says why. Final.
enum class DeliveryState { kPending, kSending, kSent, kFailed, kRefused };

std::string_view to_string(DeliveryState state);
std::optional<DeliveryState> delivery_state_from(std::string_view s);

// How a delivery travels. The DB, the CLI and the metrics show the text
// forms "smtp" (a message to one recipient), "files" (an output uploaded to
// Salesforce Files) and "files-link" (an upload the mail links to because the
// report was too big to attach) (to_string / delivery_channel_from).
enum class DeliveryChannel { kSmtp, kFiles, kFilesLink };

std::string_view to_string(DeliveryChannel channel);
std::optional<DeliveryChannel> delivery_channel_from(std::string_view s);

// One side effect of a run: channel × recipient (DESIGN.md §4.4).
struct Delivery {
  std::int64_t id = 0;
  std::int64_t run_id = 0;
  DeliveryChannel channel = DeliveryChannel::kSmtp;
  std::string recipient;  // smtp: the address; files: "<record id or library>/<file name>"
  DeliveryState state = DeliveryState::kPending;
  std::string message_id;           // smtp: derived from occurrence+recipient
  std::string content_document_id;  // files: what Salesforce returned
  std::string error;
  std::int64_t updated_at_ms = 0;
  // A burst's email: the rows of the report this recipient got (-1: not
  // known, as for every delivery of a schedule that does not burst) and the
  // user whose access made it ("": none, e.g. refused).
  std::int64_t rows = -1;
  std::string ran_as;
};

struct RunFilter {
  std::optional<std::int64_t> schedule_id;
  std::optional<RunState> state;
  std::int64_t limit = 50;
};

// A web-server OAuth flow in progress (`reportd connections add NAME
// --authorize`): created by the CLI, completed once by whoever serves the
// redirect URI. Keyed by the random `state` parameter.
struct PendingAuthorization {
  std::string state;
  std::string name;  // the connection to create
  std::string login_url;
  std::string client_id;
  std::string redirect_uri;
  Bytes sealed_secrets;  // PKCE verifier and client secret, sealed; wiped after use
  std::string key_id;
  std::int64_t created_at_ms = 0;
  std::int64_t expires_at_ms = 0;
  std::string outcome;  // "" while pending, "exchanging", then "ok" or the error
};

// Where the schedule sync of one connection stands (DESIGN.md §4.7).
struct SyncState {
  std::int64_t connection_id = 0;
  // Newest SystemModstamp applied, "2024-01-31T12:00:00Z"; the next sync
  // asks for records changed at or after it. Empty: sync everything.
  std::string modstamp;
  std::int64_t synced_at_ms = 0;  // when the last sync ended, whatever its outcome
  std::string error;              // why the last sync failed or was partial; empty: it succeeded
};

// What the daemon last said about itself, read by `reportd status`.
struct DaemonState {
  std::int64_t pid = 0;
  std::int64_t started_at_ms = 0;
  std::int64_t heartbeat_at_ms = 0;
  std::string version;
  std::string status;  // e.g. "running", "stopped"
};

}  // namespace reportd::store
