#pragma once
// The shared store: one PostgreSQL database (15 or newer) through libpq.
// Implements Store with the same semantics as SqliteStore: the same
// migrations numbered alike (store/migrations.cpp), occurrences claimed by
// a unique insert, transaction() joining an outer one as a savepoint, ids
// from identity columns (never reused), sealed secrets as bytea.
//
// data_version(): reportd_meta.changes is a counter that every write to
// connections or schedules bumps in its own transaction; the session counts
// the bumps it committed itself and returns counter - own. So the number
// moves exactly when another session committed a change that the daemon's
// readers look for (connections and schedules), and not for the daemon's
// own writes, as SQLite's PRAGMA data_version. A counter row rather than a
// sequence: it is transactional (a rolled-back change does not move it)
// and one read tells. Runs, the ledger, sync cursors and heartbeats do not
// bump it: with several nodes those would make every node reload its
// schedules at every heartbeat.
// One thread at a time, like every Store.

#include <memory>
#include <string>
#include <string_view>

#include "store/pg_conn.hpp"
#include "store/leases.hpp"
#include "store/pg_listener.hpp"
#include "store/store.hpp"

namespace reportd::store {

// Creates reportd_meta if needed and brings the schema to schema_version(),
// one migration per transaction under an advisory lock, so two processes
// opening a new database at once do not both migrate it. Refuses a
// database written by a newer reportd.
Status pg_migrate(PgConn& conn);

class PgStore final : public Store, public Leases {
 public:
  // Connects to `url` (see store/open.hpp for its form) and migrates.
  static Result<std::unique_ptr<PgStore>> open(const std::string& url, std::string_view password);

  Result<std::int64_t> add_connection(const Connection& c, const SealNew& seal) override;
  Result<std::vector<Connection>> list_connections() override;
  Result<Connection> find_connection(std::string_view name) override;
  Result<Connection> get_connection(std::int64_t id) override;
  Status remove_connection(std::string_view name) override;
  Status update_connection_secrets(std::int64_t id, const Bytes& sealed_refresh_token,
                                   const Bytes& sealed_client_secret,
                                   std::string_view key_id) override;
  Status set_connection_jwt(std::int64_t id, const JwtSetting& jwt) override;
  Status update_connection_org(std::int64_t id, std::string_view org_id,
                               std::string_view instance_url) override;
  Status set_connection_status(std::int64_t id, ConnectionStatus status,
                               std::string_view reason) override;
  Status set_connection_domains(std::int64_t id, const std::vector<std::string>& domains,
                                const std::vector<Pause>& pause, bool resync) override;
  Status bump_connection_generation(std::int64_t id) override;
  Status transaction(const std::function<Status(Store&)>& body) override;

  Result<std::map<std::string, std::int64_t>> count_tokens_by_key() override;
  Result<std::int64_t> rewrap_all(const Rewrap& rewrap) override;

  Result<std::int64_t> add_schedule(const Schedule& s) override;
  Status update_schedule(const Schedule& s) override;
  Result<std::vector<Schedule>> list_schedules() override;
  Result<Schedule> find_schedule(std::string_view name) override;
  Result<Schedule> get_schedule(std::int64_t id) override;
  Status remove_schedule(std::string_view name) override;
  Status set_schedule_paused(std::int64_t id, bool paused, std::string_view reason) override;
  Result<std::optional<Bytes>> get_change_hash(std::int64_t schedule_id) override;
  Status put_change_hash(std::int64_t schedule_id, const Bytes& hash, std::int64_t now_ms) override;

  Result<std::vector<Schedule>> list_synced_schedules(std::int64_t connection_id) override;
  Result<std::optional<SyncState>> get_sync_state(std::int64_t connection_id) override;
  Status put_sync_state(const SyncState& state) override;
  Result<bool> begin_sync(std::int64_t connection_id, std::int64_t synced_after_ms) override;
  Status end_sync(std::int64_t connection_id) override;
  Result<std::optional<RunningCounts>> lock_running_counts(std::int64_t connection_id,
                                                           std::int64_t now_ms) override;
  Status put_api_usage(const OrgApiUsage& usage) override;
  Result<std::vector<OrgApiUsage>> list_api_usage() override;

  Result<std::optional<std::int64_t>> claim_occurrence(std::int64_t schedule_id,
                                                       std::int64_t nominal_s, RunState state,
                                                       std::string_view reason,
                                                       std::int64_t now_ms) override;
  Result<std::vector<std::optional<std::int64_t>>> claim_occurrences(
      const std::vector<OccurrenceClaim>& claims, std::int64_t now_ms) override;
  Status update_run(const Run& run) override;
  Result<Run> get_run(std::int64_t id) override;
  Result<std::vector<Run>> list_runs(const RunFilter& filter) override;
  Result<std::optional<Run>> last_run(std::int64_t schedule_id) override;
  Result<std::vector<ActiveSchedule>> list_active_schedules() override;
  Result<std::vector<Run>> unfinished_runs() override;

  Result<Delivery> ensure_delivery(std::int64_t run_id, DeliveryChannel channel,
                                   std::string_view recipient, std::string_view message_id,
                                   std::int64_t now_ms) override;
  Status update_delivery(const Delivery& d) override;
  Result<std::vector<Delivery>> list_deliveries(std::int64_t run_id) override;

  Status add_pending_authorization(const PendingAuthorization& p) override;
  Result<std::optional<PendingAuthorization>> get_pending_authorization(
      std::string_view state) override;
  Result<std::optional<PendingAuthorization>> claim_pending_authorization(
      std::string_view state, std::int64_t now_ms) override;
  Status finish_pending_authorization(std::string_view state, std::string_view outcome) override;
  Result<std::int64_t> purge_pending_authorizations(std::int64_t now_ms) override;

  Result<std::int64_t> data_version() override;
  Status put_daemon_state(const DaemonState& s) override;
  Result<std::optional<DaemonState>> get_daemon_state() override;

  // Leases (store/leases.hpp; pg_leases.cpp).
  bool shared() const override;
  Status put_node(const Node& node, std::int64_t forget_before_ms) override;
  Result<std::vector<Node>> list_nodes() override;
  Result<std::int64_t> acquire_lease(std::int64_t run_id, std::string_view node,
                                     std::int64_t expires_at_ms) override;
  Result<bool> renew_lease(const Lease& lease, std::string_view node,
                           std::int64_t expires_at_ms) override;
  Result<std::vector<Lease>> take_over(std::string_view node, std::int64_t now_ms,
                                       std::int64_t expires_at_ms,
                                       const std::vector<std::int64_t>& except, int limit) override;
  Result<Expiries> next_expiry(std::string_view node, const std::vector<std::int64_t>& except,
                               std::int64_t now_ms) override;
  Status check_lease(std::int64_t run_id, std::string_view node, std::int64_t epoch,
                     std::int64_t valid_after_ms) override;

  PgConn& conn() { return conn_; }

 private:
  explicit PgStore(PgConn conn) : conn_(std::move(conn)) {}
  // Runs `sql` (a change to connections or schedules) and bumps the change
  // counter in one transaction; returns the rows it changed.
  Result<std::int64_t> change(std::string_view sql, const PgParams& params, std::string_view what);
  // Bumps the change counter and NOTIFYs store::kChangeChannel; inside a
  // transaction, which commits both.
  Status bump(std::string_view what);
  template <class T, class Read>
  Result<std::vector<T>> query(std::string_view sql, const PgParams& params, std::string_view what,
                               Read read);
  Result<std::vector<Connection>> query_connections(const char* where, const PgParams& params);
  Result<std::vector<Schedule>> query_schedules(const char* where, const PgParams& params);
  Result<std::vector<Run>> query_runs(const std::string& where, const PgParams& params);

  PgConn conn_;
};

template <class T, class Read>
Result<std::vector<T>> PgStore::query(std::string_view sql, const PgParams& params,
                                      std::string_view what, Read read) {
  Result<PgResult> r = conn_.exec(sql, params, what);
  if (!r.ok()) return r.status();
  std::vector<T> out;
  out.reserve(static_cast<std::size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) out.push_back(read(PgRow(*r, i)));
  return out;
}

}  // namespace reportd::store
