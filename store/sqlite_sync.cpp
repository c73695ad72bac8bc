// SqliteStore: schedules synced from Salesforce and each connection's sync
// cursor (the sync_state table of migration 2).
#include "store/lease_sql.hpp"
#include "store/sqlite_store.hpp"

namespace reportd::store {

Result<std::vector<Schedule>> SqliteStore::list_synced_schedules(std::int64_t connection_id) {
  return query_schedules("WHERE connection_id = ? AND origin = 'salesforce' ORDER BY id", {},
                         connection_id);
}

Result<std::optional<SyncState>> SqliteStore::get_sync_state(std::int64_t connection_id) {
  Stmt q(db_,
         "SELECT connection_id, modstamp, synced_at_ms, error FROM sync_state "
         "WHERE connection_id = ?");
  q.bind(1, connection_id);
  std::optional<SyncState> out;
  if (q.step()) {
    SyncState s;
    s.connection_id = q.int64(0);
    s.modstamp = q.text(1);
    s.synced_at_ms = q.int64(2);
    s.error = q.text(3);
    out = std::move(s);
  }
  if (Status st = q.status("read sync state"); !st.ok()) return st;
  return out;
}

Status SqliteStore::put_sync_state(const SyncState& state) {
  Stmt q(db_,
         "INSERT INTO sync_state (connection_id, modstamp, synced_at_ms, error) "
         "VALUES (?, ?, ?, ?) ON CONFLICT (connection_id) DO UPDATE SET "
         "modstamp = excluded.modstamp, synced_at_ms = excluded.synced_at_ms, "
         "error = excluded.error");
  q.bind(1, state.connection_id).bind(2, state.modstamp).bind(3, state.synced_at_ms);
  q.bind(4, state.error);
  return q.run("store sync state");
}

// One node: its one sync loop is the only sync of a connection; `reportd
// sync` beside it is the operator's to run.
Result<bool> SqliteStore::begin_sync(std::int64_t, std::int64_t) { return true; }
Status SqliteStore::end_sync(std::int64_t) { return {}; }

Result<std::optional<RunningCounts>> SqliteStore::lock_running_counts(std::int64_t connection_id,
                                                                      std::int64_t now_ms) {
  const std::string sql = std::string("SELECT coalesce(sum(") + kSameOrg + "), 0), count(*), " +
                          kScratchHeld + kRunningRuns;
  Stmt q(db_, sql.c_str());
  q.bind(1, connection_id).bind(2, connection_id).bind(3, now_ms);
  RunningCounts c;
  if (q.step()) {
    c.org = q.int64(0);
    c.all = q.int64(1);
    c.scratch = q.int64(2);
  }
  if (Status st = q.status("count running runs"); !st.ok()) return st;
  return std::optional<RunningCounts>(c);
}

Status SqliteStore::put_api_usage(const OrgApiUsage& u) {
  Stmt q(db_, kPutApiUsage);
  q.bind(1, u.org).bind(2, u.used).bind(3, u.limit).bind(4, u.seen_at_ms);
  return q.run("record the org's API usage");
}

Result<std::vector<OrgApiUsage>> SqliteStore::list_api_usage() {
  Stmt q(db_, kListApiUsage);
  std::vector<OrgApiUsage> out;
  while (q.step()) out.push_back({q.text(0), q.int64(1), q.int64(2), q.int64(3)});
  if (Status st = q.status("read the orgs' API usage"); !st.ok()) return st;
  return out;
}

}  // namespace reportd::store
