// PgStore: schedules, the schedules synced from Salesforce and each
// connection's sync cursor.
#include "store/pg_store.hpp"
#include "store/rows.hpp"

namespace reportd::store {

Result<std::int64_t> PgStore::add_schedule(const Schedule& s) {
  PgParams p;
  bind_schedule(p, s);
  p.bind(kScheduleLastParam, s.created_at_ms);
  PgTransaction tx(conn_);
  if (Status st = tx.begin(); !st.ok()) return st;
  auto r = conn_.exec_atomic(std::string(kInsertSchedule) + " RETURNING id", p, "add schedule");
  if (!r.ok()) {
    if (r.status().kind() == ErrorKind::kAlreadyExists) {
      return Status::error(ErrorKind::kAlreadyExists,
                           "a schedule named \"" + s.name + "\" already exists");
    }
    return r.status();
  }
  if (Status st = bump("add schedule"); !st.ok()) return st;
  if (Status st = tx.commit(); !st.ok()) return st;
  return r->int64(0, 0);
}

Status PgStore::update_schedule(const Schedule& s) {
  PgParams p;
  bind_schedule(p, s);
  p.bind(kScheduleLastParam, s.id);
  PgTransaction tx(conn_);
  if (Status st = tx.begin(); !st.ok()) return st;
  if (auto r = conn_.exec_atomic(kUpdateSchedule, p, "update schedule"); !r.ok()) return r.status();
  if (Status st = bump("update schedule"); !st.ok()) return st;
  return tx.commit();
}

Result<std::vector<Schedule>> PgStore::query_schedules(const char* where, const PgParams& params) {
  return query<Schedule>(std::string(kScheduleColumns) + where, params, "read schedules",
                         [](const PgRow& row) { return read_schedule(row); });
}

Result<std::vector<Schedule>> PgStore::list_schedules() {
  return query_schedules("ORDER BY name", {});
}

Result<std::vector<ActiveSchedule>> PgStore::list_active_schedules() {
  return query<ActiveSchedule>(kActiveSchedules, {}, "read active schedules",
                               [](const PgRow& row) { return read_active_schedule(row); });
}

Result<Schedule> PgStore::find_schedule(std::string_view name) {
  auto rows = query_schedules("WHERE name = ?", PgParams().bind(1, name));
  if (!rows.ok()) return std::move(rows).status();
  if (rows->empty()) {
    return Status::error(ErrorKind::kNotFound, "no schedule named \"" + std::string(name) +
                                                   "\"; `reportd schedules list` shows them");
  }
  return std::move(rows->front());
}

Result<Schedule> PgStore::get_schedule(std::int64_t id) {
  auto rows = query_schedules("WHERE id = ?", PgParams().bind(1, id));
  if (!rows.ok()) return std::move(rows).status();
  if (rows->empty()) {
    return Status::error(ErrorKind::kNotFound, "no schedule with id " + std::to_string(id));
  }
  return std::move(rows->front());
}

Status PgStore::remove_schedule(std::string_view name) {
  auto n =
      change("DELETE FROM schedules WHERE name = ?", PgParams().bind(1, name), "remove schedule");
  if (!n.ok()) return n.status();
  if (*n == 0) {
    return Status::error(ErrorKind::kNotFound, "no schedule named \"" + std::string(name) + "\"");
  }
  return {};
}

Status PgStore::set_schedule_paused(std::int64_t id, bool paused, std::string_view reason) {
  PgParams p;
  p.bind(1, std::int64_t{paused}).bind(2, reason).bind(3, id);
  return done(change("UPDATE schedules SET paused = ?, pause_reason = ? WHERE id = ?", p,
                     "pause schedule"));
}

Result<std::optional<Bytes>> PgStore::get_change_hash(std::int64_t schedule_id) {
  auto r = conn_.exec("SELECT hash FROM change_hashes WHERE schedule_id = ?",
                      PgParams().bind(1, schedule_id), "read change hash");
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return std::optional<Bytes>();
  return std::optional<Bytes>(r->blob(0, 0));
}

// Not a schedule change: data_version stays (as for runs and the ledger).
Status PgStore::put_change_hash(std::int64_t schedule_id, const Bytes& hash, std::int64_t now_ms) {
  PgParams p;
  p.bind(1, schedule_id).bind(2, std::span<const std::uint8_t>(hash)).bind(3, now_ms);
  return done(conn_.exec("INSERT INTO change_hashes (schedule_id, hash, updated_at_ms) VALUES (?, ?, ?) "
                         "ON CONFLICT (schedule_id) DO UPDATE SET hash = excluded.hash, "
                         "updated_at_ms = excluded.updated_at_ms",
                         p, "store change hash"));
}

// --- schedule sync

Result<std::vector<Schedule>> PgStore::list_synced_schedules(std::int64_t connection_id) {
  return query_schedules("WHERE connection_id = ? AND origin = 'salesforce' ORDER BY id",
                         PgParams().bind(1, connection_id));
}

Result<std::optional<SyncState>> PgStore::get_sync_state(std::int64_t connection_id) {
  auto r = conn_.exec(
      "SELECT connection_id, modstamp, synced_at_ms, error FROM sync_state "
      "WHERE connection_id = ?",
      PgParams().bind(1, connection_id), "read sync state");
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return std::optional<SyncState>();
  return std::optional<SyncState>(
      SyncState{r->int64(0, 0), r->text(0, 1), r->int64(0, 2), r->text(0, 3)});
}

Status PgStore::put_sync_state(const SyncState& state) {
  PgParams p;
  p.bind(1, state.connection_id).bind(2, state.modstamp).bind(3, state.synced_at_ms);
  p.bind(4, state.error);
  return done(
      conn_.exec("INSERT INTO sync_state (connection_id, modstamp, synced_at_ms, error) "
                 "VALUES (?, ?, ?, ?) ON CONFLICT (connection_id) DO UPDATE SET "
                 "modstamp = excluded.modstamp, synced_at_ms = excluded.synced_at_ms, "
                 "error = excluded.error",
                 p, "store sync state"));
}

}  // namespace reportd::store
