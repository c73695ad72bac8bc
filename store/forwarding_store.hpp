#pragma once
// ForwardingStore: a Store that passes every call on to another store, as
// it is. The base of a store that changes a few calls and leaves the rest
// (LeasedStore fences the run and ledger writes): it overrides those alone.
// A call added to Store gets its forwarding here, once (the compiler asks
// for it: Store's calls are pure virtual).

#include "store/store.hpp"

namespace reportd::store {

class ForwardingStore : public Store {
 public:
  explicit ForwardingStore(Store& inner) : inner_(inner) {}

  Result<std::int64_t> add_connection(const Connection& c, const SealNew& seal) override {
    return inner_.add_connection(c, seal);
  }
  Result<std::vector<Connection>> list_connections() override { return inner_.list_connections(); }
  Result<Connection> find_connection(std::string_view name) override {
    return inner_.find_connection(name);
  }
  Result<Connection> get_connection(std::int64_t id) override { return inner_.get_connection(id); }
  Status remove_connection(std::string_view name) override {
    return inner_.remove_connection(name);
  }
  Status update_connection_secrets(std::int64_t id, const Bytes& sealed_refresh_token,
                                   const Bytes& sealed_client_secret,
                                   std::string_view key_id) override {
    return inner_.update_connection_secrets(id, sealed_refresh_token, sealed_client_secret, key_id);
  }
  Status set_connection_jwt(std::int64_t id, const JwtSetting& jwt) override {
    return inner_.set_connection_jwt(id, jwt);
  }
  Status update_connection_org(std::int64_t id, std::string_view org_id,
                               std::string_view instance_url) override {
    return inner_.update_connection_org(id, org_id, instance_url);
  }
  Status set_connection_status(std::int64_t id, ConnectionStatus status,
                               std::string_view reason) override {
    return inner_.set_connection_status(id, status, reason);
  }
  Status set_connection_domains(std::int64_t id, const std::vector<std::string>& domains,
                                const std::vector<Pause>& pause, bool resync) override {
    return inner_.set_connection_domains(id, domains, pause, resync);
  }
  Status bump_connection_generation(std::int64_t id) override {
    return inner_.bump_connection_generation(id);
  }
  Status transaction(const std::function<Status(Store&)>& body) override {
    return inner_.transaction(body);
  }
  Result<std::map<std::string, std::int64_t>> count_tokens_by_key() override {
    return inner_.count_tokens_by_key();
  }
  Result<std::int64_t> rewrap_all(const Rewrap& rewrap) override {
    return inner_.rewrap_all(rewrap);
  }
  Result<std::int64_t> add_schedule(const Schedule& s) override { return inner_.add_schedule(s); }
  Status update_schedule(const Schedule& s) override { return inner_.update_schedule(s); }
  Result<std::vector<Schedule>> list_schedules() override { return inner_.list_schedules(); }
  Result<Schedule> find_schedule(std::string_view name) override {
    return inner_.find_schedule(name);
  }
  Result<Schedule> get_schedule(std::int64_t id) override { return inner_.get_schedule(id); }
  Status remove_schedule(std::string_view name) override { return inner_.remove_schedule(name); }
  Status set_schedule_paused(std::int64_t id, bool paused, std::string_view reason) override {
    return inner_.set_schedule_paused(id, paused, reason);
  }
  Result<std::optional<Bytes>> get_change_hash(std::int64_t schedule_id) override {
    return inner_.get_change_hash(schedule_id);
  }
  Status put_change_hash(std::int64_t schedule_id, const Bytes& hash,
                         std::int64_t now_ms) override {
    return inner_.put_change_hash(schedule_id, hash, now_ms);
  }
  Result<std::vector<Schedule>> list_synced_schedules(std::int64_t connection_id) override {
    return inner_.list_synced_schedules(connection_id);
  }
  Result<std::optional<SyncState>> get_sync_state(std::int64_t connection_id) override {
    return inner_.get_sync_state(connection_id);
  }
  Status put_sync_state(const SyncState& state) override { return inner_.put_sync_state(state); }
  Result<bool> begin_sync(std::int64_t connection_id, std::int64_t synced_after_ms) override {
    return inner_.begin_sync(connection_id, synced_after_ms);
  }
  Status end_sync(std::int64_t connection_id) override { return inner_.end_sync(connection_id); }
  Result<std::optional<RunningCounts>> lock_running_counts(std::int64_t connection_id,
                                                           std::int64_t now_ms) override {
    return inner_.lock_running_counts(connection_id, now_ms);
  }
  Status put_api_usage(const OrgApiUsage& usage) override { return inner_.put_api_usage(usage); }
  Result<std::vector<OrgApiUsage>> list_api_usage() override { return inner_.list_api_usage(); }
  Result<std::optional<std::int64_t>> claim_occurrence(std::int64_t schedule_id,
                                                       std::int64_t nominal_s, RunState state,
                                                       std::string_view reason,
                                                       std::int64_t now_ms) override {
    return inner_.claim_occurrence(schedule_id, nominal_s, state, reason, now_ms);
  }
  Result<std::vector<std::optional<std::int64_t>>> claim_occurrences(
      const std::vector<OccurrenceClaim>& claims, std::int64_t now_ms) override {
    return inner_.claim_occurrences(claims, now_ms);
  }
  Status update_run(const Run& run) override { return inner_.update_run(run); }
  Result<Run> get_run(std::int64_t id) override { return inner_.get_run(id); }
  Result<std::vector<Run>> list_runs(const RunFilter& filter) override {
    return inner_.list_runs(filter);
  }
  Result<std::optional<Run>> last_run(std::int64_t schedule_id) override {
    return inner_.last_run(schedule_id);
  }
  Result<std::vector<ActiveSchedule>> list_active_schedules() override {
    return inner_.list_active_schedules();
  }
  Result<std::vector<Run>> unfinished_runs() override { return inner_.unfinished_runs(); }
  Result<Delivery> ensure_delivery(std::int64_t run_id, DeliveryChannel channel,
                                   std::string_view recipient, std::string_view message_id,
                                   std::int64_t now_ms) override {
    return inner_.ensure_delivery(run_id, channel, recipient, message_id, now_ms);
  }
  Status update_delivery(const Delivery& d) override { return inner_.update_delivery(d); }
  Result<std::vector<Delivery>> list_deliveries(std::int64_t run_id) override {
    return inner_.list_deliveries(run_id);
  }
  Result<std::int64_t> data_version() override { return inner_.data_version(); }
  Status add_pending_authorization(const PendingAuthorization& p) override {
    return inner_.add_pending_authorization(p);
  }
  Result<std::optional<PendingAuthorization>> get_pending_authorization(
      std::string_view state) override {
    return inner_.get_pending_authorization(state);
  }
  Result<std::optional<PendingAuthorization>> claim_pending_authorization(
      std::string_view state, std::int64_t now_ms) override {
    return inner_.claim_pending_authorization(state, now_ms);
  }
  Status finish_pending_authorization(std::string_view state, std::string_view outcome) override {
    return inner_.finish_pending_authorization(state, outcome);
  }
  Result<std::int64_t> purge_pending_authorizations(std::int64_t now_ms) override {
    return inner_.purge_pending_authorizations(now_ms);
  }
  Status put_daemon_state(const DaemonState& s) override { return inner_.put_daemon_state(s); }
  Result<std::optional<DaemonState>> get_daemon_state() override {
    return inner_.get_daemon_state();
  }
  CompletionGate* completion_gate() override { return inner_.completion_gate(); }

 protected:
  Store& inner_;  // outlives this
};

}  // namespace reportd::store
