// SqliteStore: schedules.
#include "store/sqlite_store.hpp"

namespace reportd::store {
namespace {

constexpr const char* kScheduleColumns =
    "SELECT id, name, connection_id, origin, sf_record_id, cron, tz, source_kind, source, "
    "formats, recipients, subject, send_when_empty, min_rows, files_target, paused, "
    "pause_reason, catchup_seconds, overlap, splay_seconds, min_interval_seconds, "
    "created_at_ms, owner_email, body, send_when FROM schedules ";

Schedule read_schedule(const Stmt& q) {
  Schedule s;
  s.id = q.int64(0);
  s.name = q.text(1);
  s.connection_id = q.int64(2);
  s.origin = q.text(3);
  s.sf_record_id = q.text(4);
  s.cron = q.text(5);
  s.tz = q.text(6);
  s.source_kind = source_kind_from(q.text(7)).value_or(SourceKind::kSoql);
  s.source = q.text(8);
  s.formats = split(q.text(9), ',');
  s.recipients = split(q.text(10), '\n');
  s.subject = q.text(11);
  s.send_when_empty = q.int64(12) != 0;
  s.min_rows = q.int64(13);
  s.files_target = q.text(14);
  s.paused = q.int64(15) != 0;
  s.pause_reason = q.text(16);
  s.catchup_seconds = q.int64(17);
  s.overlap = q.text(18) == "queue" ? Overlap::kQueue : Overlap::kSkip;
  s.splay_seconds = q.int64(19);
  s.min_interval_seconds = q.int64(20);
  s.created_at_ms = q.int64(21);
  s.owner_email = q.text(22);
  s.body = q.text(23);
  s.send_when = q.text(24);
  return s;
}

// Binds parameters 1..23 in the column order of kScheduleColumns minus id
// and created_at_ms.
void bind_schedule(Stmt& q, const Schedule& s) {
  q.bind(1, s.name).bind(2, s.connection_id).bind(3, s.origin).bind(4, s.sf_record_id);
  q.bind(5, s.cron).bind(6, s.tz).bind(7, to_string(s.source_kind)).bind(8, s.source);
  q.bind(9, join(s.formats, ',')).bind(10, join(s.recipients, '\n')).bind(11, s.subject);
  q.bind(12, std::int64_t{s.send_when_empty}).bind(13, s.min_rows).bind(14, s.files_target);
  q.bind(15, std::int64_t{s.paused}).bind(16, s.pause_reason).bind(17, s.catchup_seconds);
  q.bind(18, s.overlap == Overlap::kQueue ? "queue" : "skip");
  q.bind(19, s.splay_seconds).bind(20, s.min_interval_seconds);
  q.bind(21, s.owner_email).bind(22, s.body).bind(23, s.send_when);
}

}  // namespace

Result<std::int64_t> SqliteStore::add_schedule(const Schedule& s) {
  Stmt q(db_,
         "INSERT INTO schedules (name, connection_id, origin, sf_record_id, cron, tz, "
         "source_kind, source, formats, recipients, subject, send_when_empty, min_rows, "
         "files_target, paused, pause_reason, catchup_seconds, overlap, splay_seconds, "
         "min_interval_seconds, owner_email, body, send_when, created_at_ms) "
         "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  bind_schedule(q, s);
  q.bind(24, s.created_at_ms);
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
  Stmt q(db_,
         "UPDATE schedules SET name=?, connection_id=?, origin=?, sf_record_id=?, cron=?, tz=?, "
         "source_kind=?, source=?, formats=?, recipients=?, subject=?, send_when_empty=?, "
         "min_rows=?, files_target=?, paused=?, pause_reason=?, catchup_seconds=?, overlap=?, "
         "splay_seconds=?, min_interval_seconds=?, owner_email=?, body=?, send_when=? WHERE id=?");
  bind_schedule(q, s);
  q.bind(24, s.id);
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
