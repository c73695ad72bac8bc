#pragma once
// The store: connections, schedules, occurrences/runs, the delivery ledger.
// This interface is shaped by what jobs/ and the CLI need and implemented here
// (SQLite now, PostgreSQL later), as leveldb's Env is. Calls block; jobs/
// runs them on its store thread, never on the event loop.
// Thread safety: an implementation is used from one thread at a time.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/records.hpp"
#include "table/status.hpp"

namespace reportd::store {

class CompletionGate;  // offload_thread.hpp

// One occurrence to claim with Store::claim_occurrences().
struct OccurrenceClaim {
  std::int64_t schedule_id = 0;
  std::int64_t nominal_s = 0;
  RunState state = RunState::kPending;
  std::string reason;
};

// Runs going on every node of a store, as Store::lock_running_counts()
// counts them.
struct RunningCounts {
  std::int64_t org = 0;  // of one org's schedules, whichever of its connections
  std::int64_t all = 0;
  std::int64_t scratch = 0;  // bytes of scratch budget they hold (Run::scratch_reserved)
};

// An org's API usage as a node read it from Sforce-Limit-Info
// (Store::put_api_usage). `org`: the org id, or "connection:ID" before the
// connection is pinned to an org.
struct OrgApiUsage {
  std::string org;
  std::int64_t used = 0;
  std::int64_t limit = 0;
  std::int64_t seen_at_ms = 0;  // when the node read it (its clock)

  bool operator==(const OrgApiUsage&) const = default;
};

class Store {
 public:
  virtual ~Store() = default;

  // --- connections
  // Inserts `c` and, in the same transaction, passes the row (with its new id)
  // to `seal`, which returns it with secrets sealed and bound to that id.
  using SealNew = std::function<Result<Connection>(Connection with_id)>;
  virtual Result<std::int64_t> add_connection(const Connection& c, const SealNew& seal) = 0;
  virtual Result<std::vector<Connection>> list_connections() = 0;
  virtual Result<Connection> find_connection(std::string_view name) = 0;
  virtual Result<Connection> get_connection(std::int64_t id) = 0;
  virtual Status remove_connection(std::string_view name) = 0;
  // Replaces the sealed refresh token (rotation by Salesforce, or re-wrap).
  virtual Status update_connection_secrets(std::int64_t id, const Bytes& sealed_refresh_token,
                                           const Bytes& sealed_client_secret,
                                           std::string_view key_id) = 0;
  // Replaces the connection's JWT bearer configuration (its key sealed under
  // the connection's key_id); an empty setting removes it.
  virtual Status set_connection_jwt(std::int64_t id, const JwtSetting& jwt) = 0;
  virtual Status update_connection_org(std::int64_t id, std::string_view org_id,
                                       std::string_view instance_url) = 0;
  virtual Status set_connection_status(std::int64_t id, ConnectionStatus status,
                                       std::string_view reason) = 0;
  // Replaces the connection's allowed recipient domains and, in the same
  // transaction, pauses each schedule in `pause` (id, reason) and, when
  // `resync`, clears the connection's sync cursor so that the next sync
  // reads (and re-checks) every schedule record.
  using Pause = std::pair<std::int64_t, std::string>;
  virtual Status set_connection_domains(std::int64_t id, const std::vector<std::string>& domains,
                                        const std::vector<Pause>& pause, bool resync) = 0;
  // The credential was replaced from outside (re-authorized): generation + 1,
  // so every cache built for the old credential is dropped.
  virtual Status bump_connection_generation(std::int64_t id) = 0;
  // Runs `body` in one transaction: committed when it returns ok, rolled back
  // otherwise. Store calls inside it that have transactions of their own
  // join this one.
  virtual Status transaction(const std::function<Status(Store&)>& body) = 0;

  // --- keys
  // How many connections have their secrets sealed under each key id.
  virtual Result<std::map<std::string, std::int64_t>> count_tokens_by_key() = 0;
  // Calls `rewrap` for every connection and stores what it returns, all in one
  // transaction: either every connection is re-wrapped or none is.
  using Rewrap = std::function<Result<Connection>(const Connection&)>;
  virtual Result<std::int64_t> rewrap_all(const Rewrap& rewrap) = 0;

  // --- schedules
  virtual Result<std::int64_t> add_schedule(const Schedule& s) = 0;
  virtual Status update_schedule(const Schedule& s) = 0;  // by id
  virtual Result<std::vector<Schedule>> list_schedules() = 0;
  virtual Result<Schedule> find_schedule(std::string_view name) = 0;
  virtual Result<Schedule> get_schedule(std::int64_t id) = 0;
  virtual Status remove_schedule(std::string_view name) = 0;
  virtual Status set_schedule_paused(std::int64_t id, bool paused, std::string_view reason) = 0;
  // The keyed hash of the rows a schedule last sent (`--when changed`);
  // nullopt before the first send. Removed with the schedule.
  virtual Result<std::optional<Bytes>> get_change_hash(std::int64_t schedule_id) = 0;
  virtual Status put_change_hash(std::int64_t schedule_id, const Bytes& hash,
                                 std::int64_t now_ms) = 0;  // insert or replace

  // --- schedule sync from Salesforce (DESIGN.md §4.7)
  // The schedules synced from one connection's org (origin "salesforce").
  virtual Result<std::vector<Schedule>> list_synced_schedules(std::int64_t connection_id) = 0;
  // The connection's sync cursor; nullopt before its first sync.
  virtual Result<std::optional<SyncState>> get_sync_state(std::int64_t connection_id) = 0;
  virtual Status put_sync_state(const SyncState& state) = 0;  // insert or replace

  // --- several nodes on one store (PostgreSQL; SQLite has one node)
  // Takes the connection's sync lock for this session without waiting,
  // until end_sync(). False when another session holds it (another node's
  // sync, `reportd sync`) or when the connection's last sync ended after
  // `synced_after_ms` (another node did this round's). SQLite: true.
  virtual Result<bool> begin_sync(std::int64_t connection_id, std::int64_t synced_after_ms) = 0;
  virtual Status end_sync(std::int64_t connection_id) = 0;
  // Inside a transaction: takes the store's run admission lock without
  // waiting (it ends with the transaction) and counts the runs going on
  // every node (running or delivering, their lease unexpired at `now_ms`):
  // those of the org `connection_id` reaches (its schedules and those of
  // every connection with the same org id) and all, and the scratch bytes
  // they hold between them. nullopt: another node
  // holds the lock; try again shortly. SQLite counts its own runs.
  virtual Result<std::optional<RunningCounts>> lock_running_counts(std::int64_t connection_id,
                                                                   std::int64_t now_ms) = 0;
  // The API-budget guard across nodes: put_api_usage() keeps `usage` unless
  // the org's stored reading is newer (seen_at_ms); list_api_usage() reads
  // every org's latest.
  virtual Status put_api_usage(const OrgApiUsage& usage) = 0;
  virtual Result<std::vector<OrgApiUsage>> list_api_usage() = 0;

  // --- occurrences and runs
  // Claims (schedule, nominal instant) with a unique insert. Returns the new
  // run's id, or nullopt when the occurrence was already claimed, by this
  // process before a restart or by another process on the same store.
  virtual Result<std::optional<std::int64_t>> claim_occurrence(std::int64_t schedule_id,
                                                               std::int64_t nominal_s,
                                                               RunState state,
                                                               std::string_view reason,
                                                               std::int64_t now_ms) = 0;
  // claim_occurrence() for each of `claims`, in one transaction (one commit,
  // not one per claim). out[i] is claims[i]'s new run id, or nullopt when
  // it was claimed already or its schedule no longer exists. On an error
  // nothing is claimed.
  virtual Result<std::vector<std::optional<std::int64_t>>> claim_occurrences(
      const std::vector<OccurrenceClaim>& claims, std::int64_t now_ms) = 0;
  virtual Status update_run(const Run& run) = 0;  // by id
  virtual Result<Run> get_run(std::int64_t id) = 0;
  virtual Result<std::vector<Run>> list_runs(const RunFilter& filter) = 0;  // newest first
  // The latest claimed occurrence of a schedule, if any.
  virtual Result<std::optional<Run>> last_run(std::int64_t schedule_id) = 0;
  // Every unpaused schedule with only what the scheduler needs: the fields
  // that decide when it fires and its latest claimed occurrence (last_run()
  // for all of them), in one query, in no particular order.
  virtual Result<std::vector<ActiveSchedule>> list_active_schedules() = 0;
  // Runs that are not final: crash recovery re-runs them.
  virtual Result<std::vector<Run>> unfinished_runs() = 0;

  // --- delivery ledger
  // Inserts the row if it is new, else returns the existing one unchanged.
  virtual Result<Delivery> ensure_delivery(std::int64_t run_id, DeliveryChannel channel,
                                           std::string_view recipient,
                                           std::string_view message_id, std::int64_t now_ms) = 0;
  virtual Status update_delivery(const Delivery& d) = 0;  // by id, durably
  virtual Result<std::vector<Delivery>> list_deliveries(std::int64_t run_id) = 0;

  // A number that changes whenever another process (the CLI) commits, so the
  // daemon notices schedule changes without re-reading everything.
  virtual Result<std::int64_t> data_version() = 0;

  // --- pending OAuth authorizations (web-server flow with PKCE)
  virtual Status add_pending_authorization(const PendingAuthorization& p) = 0;
  // The row, whatever its outcome; nullopt when the state is unknown.
  virtual Result<std::optional<PendingAuthorization>> get_pending_authorization(
      std::string_view state) = 0;
  // Takes a pending row for its callback, at most once: returns it with its
  // sealed secrets and marks it "exchanging", or nullopt when the state is
  // unknown, already used or expired at `now_ms`.
  virtual Result<std::optional<PendingAuthorization>> claim_pending_authorization(
      std::string_view state, std::int64_t now_ms) = 0;
  // Records the outcome ("ok" or the error) and wipes the sealed secrets.
  virtual Status finish_pending_authorization(std::string_view state,
                                              std::string_view outcome) = 0;
  // Deletes rows that expired before `now_ms`; returns how many.
  virtual Result<std::int64_t> purge_pending_authorizations(std::int64_t now_ms) = 0;

  // --- daemon state
  virtual Status put_daemon_state(const DaemonState& s) = 0;
  virtual Result<std::optional<DaemonState>> get_daemon_state() = 0;

  // --- group commit
  // What the StoreThread hands the results of writing calls to (the SQLite
  // store's WalSyncer, once the daemon turned it on); null: none.
  virtual CompletionGate* completion_gate() { return nullptr; }
};

// Store::rewrap_all for any engine: list and update every connection in one
// transaction().
Result<std::int64_t> rewrap_connections(Store& store, const Store::Rewrap& rewrap);

}  // namespace reportd::store
