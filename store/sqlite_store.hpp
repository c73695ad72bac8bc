#pragma once
// The embedded store: one SQLite file in WAL mode with synchronous=FULL,
// secure_delete and in-memory temp storage. Implements Store. One thread at
// a time (jobs/ calls it from its store thread; the CLI from main).

#include <memory>
#include <string>

#include "store/rows.hpp"
#include "store/sqlite_db.hpp"
#include "store/leases.hpp"
#include "store/store.hpp"
#include "store/wal_checkpointer.hpp"
#include "store/wal_syncer.hpp"

namespace reportd::store {

class SqliteStore final : public Store, public Leases {
 public:
  // Opens (creating if needed) and migrates the database at `path`;
  // ":memory:" gives a private in-memory store for tests.
  static Result<std::unique_ptr<SqliteStore>> open(const std::string& path);

  // From now on the WAL is checkpointed on a thread of its own
  // (WalCheckpointer), never inside a commit; `on_done` hears of each
  // checkpoint there. The daemon's choice; a no-op for ":memory:". Call it
  // before the store is in use.
  Status checkpoint_in_background(WalCheckpointer::OnDone on_done);
  // From now on commits run with synchronous=NORMAL and a thread syncs the
  // WAL for several at once (WalSyncer: group commit), for a StoreThread
  // made after this call. The daemon's choice; a no-op for ":memory:".
  Status sync_in_background(WalSyncer::Options options = {});
  CompletionGate* completion_gate() override { return syncer_.get(); }

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

  // Leases (store/leases.hpp; sqlite_leases.cpp).
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

  // For tests and `reportd doctor`: PRAGMA integrity_check's verdict.
  Result<std::string> integrity_check();
  Db& db() { return db_; }

 private:
  explicit SqliteStore(Db db) : db_(std::move(db)) {}
  Result<std::vector<Connection>> query_connections(const char* where, std::string_view arg,
                                                    std::int64_t id);
  Result<std::vector<Schedule>> query_schedules(const char* where, std::string_view arg,
                                                std::int64_t id);
  Result<std::vector<Run>> query_runs(const char* sql, const RunFilter& filter);

  Db db_;
  std::unique_ptr<WalCheckpointer> checkpointer_;  // after db_: ends before it closes
  std::unique_ptr<WalSyncer> syncer_;              // likewise
};

}  // namespace reportd::store
