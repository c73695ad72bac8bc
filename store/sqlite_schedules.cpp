// SqliteStore: schedules.
#include "store/sqlite_store.hpp"

namespace reportd::store {

Result<std::int64_t> SqliteStore::add_schedule(const Schedule& s) {
  Stmt q(db_, kInsertSchedule);
  bind_schedule(q, s);
  q.bind(kScheduleLastParam, s.created_at_ms);
  if (Status st = q.run("add schedule"); !st.ok()) {
    if (st.kind() == ErrorKind::kAlreadyExists) {
      return Status::error(ErrorKind::kAlreadyExists,
                           "a schedule named \"" + s.name + "\" already exists");
    }
    return st;
  }
  return sqlite3_last_insert_rowid(db_.get());
}

Status SqliteStore::update_schedule(const Schedule& s) {
  Stmt q(db_, kUpdateSchedule);
  bind_schedule(q, s);
  q.bind(kScheduleLastParam, s.id);
  return q.run("update schedule");
}

Result<std::vector<Schedule>> SqliteStore::query_schedules(const char* where,
                                                           std::string_view arg,
                                                           std::int64_t id) {
  std::string sql = std::string(kScheduleColumns) + where;
  Stmt q(db_, sql.c_str());
  if (!arg.empty()) q.bind(1, arg);
  if (id != 0) q.bind(1, id);
  std::vector<Schedule> out;
  while (q.step()) out.push_back(read_schedule(q));
  if (Status st = q.status("read schedules"); !st.ok()) return st;
  return out;
}

Result<std::vector<Schedule>> SqliteStore::list_schedules() {
  return query_schedules("ORDER BY name", {}, 0);
}

Result<std::vector<ActiveSchedule>> SqliteStore::list_active_schedules() {
  Stmt q(db_, kActiveSchedules);
  std::vector<ActiveSchedule> out;
  while (q.step()) out.push_back(read_active_schedule(q));
  if (Status st = q.status("read active schedules"); !st.ok()) return st;
  return out;
}

Result<Schedule> SqliteStore::find_schedule(std::string_view name) {
  auto rows = query_schedules("WHERE name = ?", name, 0);
  if (!rows.ok()) return std::move(rows).status();
  if (rows->empty()) {
    return Status::error(ErrorKind::kNotFound,
                         "no schedule named \"" + std::string(name) +
                             "\"; `reportd schedules list` shows them");
  }
  return std::move(rows->front());
}

Result<Schedule> SqliteStore::get_schedule(std::int64_t id) {
  auto rows = query_schedules("WHERE id = ?", {}, id);
  if (!rows.ok()) return std::move(rows).status();
  if (rows->empty()) {
    return Status::error(ErrorKind::kNotFound, "no schedule with id " + std::to_string(id));
  }
  return std::move(rows->front());
}

Status SqliteStore::remove_schedule(std::string_view name) {
  Stmt q(db_, "DELETE FROM schedules WHERE name = ?");
  q.bind(1, name);
  if (Status st = q.run("remove schedule"); !st.ok()) return st;
  if (sqlite3_changes(db_.get()) == 0) {
    return Status::error(ErrorKind::kNotFound, "no schedule named \"" + std::string(name) + "\"");
  }
  return {};
}

Status SqliteStore::set_schedule_paused(std::int64_t id, bool paused, std::string_view reason) {
  Stmt q(db_, "UPDATE schedules SET paused = ?, pause_reason = ? WHERE id = ?");
  q.bind(1, std::int64_t{paused}).bind(2, reason).bind(3, id);
  return q.run("pause schedule");
}

Result<std::optional<Bytes>> SqliteStore::get_change_hash(std::int64_t schedule_id) {
  Stmt q(db_, "SELECT hash FROM change_hashes WHERE schedule_id = ?");
  q.bind(1, schedule_id);
  std::optional<Bytes> out;
  if (q.step()) out = q.blob(0);
  if (Status st = q.status("read change hash"); !st.ok()) return st;
  return out;
}

Status SqliteStore::put_change_hash(std::int64_t schedule_id, const Bytes& hash,
                                    std::int64_t now_ms) {
  Stmt q(db_,
         "INSERT INTO change_hashes (schedule_id, hash, updated_at_ms) VALUES (?, ?, ?) "
         "ON CONFLICT(schedule_id) DO UPDATE SET hash = excluded.hash, "
         "updated_at_ms = excluded.updated_at_ms");
  q.bind(1, schedule_id).bind(2, std::span<const std::uint8_t>(hash)).bind(3, now_ms);
  return q.run("store change hash");
}

}  // namespace reportd::store
