// SqliteStore: occurrences, runs, the delivery ledger and daemon state.
#include "store/sqlite_store.hpp"

namespace reportd::store {

Result<std::optional<std::int64_t>> SqliteStore::claim_occurrence(std::int64_t schedule_id,
                                                                  std::int64_t nominal_s,
                                                                  RunState state,
                                                                  std::string_view reason,
                                                                  std::int64_t now_ms) {
  // The UNIQUE (schedule_id, nominal_s) key makes the claim: a second
  // insert of the same occurrence changes nothing.
  Stmt q(db_,
         "INSERT INTO runs (schedule_id, nominal_s, state, reason, claimed_at_ms) "
         "VALUES (?, ?, ?, ?, ?) ON CONFLICT (schedule_id, nominal_s) DO NOTHING");
  q.bind(1, schedule_id).bind(2, nominal_s).bind(3, to_string(state)).bind(4, reason);
  q.bind(5, now_ms);
  if (Status st = q.run("claim occurrence"); !st.ok()) return st;
  if (sqlite3_changes(db_.get()) == 0) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(sqlite3_last_insert_rowid(db_.get()));
}

Result<std::vector<std::optional<std::int64_t>>> SqliteStore::claim_occurrences(
    const std::vector<OccurrenceClaim>& claims, std::int64_t now_ms) {
  Transaction tx(db_);
  if (Status st = tx.begin(); !st.ok()) return st;
  // Selecting from schedules leaves out a schedule removed meanwhile, which
  // would otherwise fail its foreign key and with it the whole batch.
  Stmt q(db_, kClaimIfScheduled);
  std::vector<std::optional<std::int64_t>> out;
  out.reserve(claims.size());
  for (const OccurrenceClaim& c : claims) {
    q.reset();
    q.bind(1, c.nominal_s).bind(2, to_string(c.state)).bind(3, c.reason).bind(4, now_ms);
    q.bind(5, c.schedule_id);
    if (Status st = q.run("claim occurrences"); !st.ok()) return st;
    out.push_back(sqlite3_changes(db_.get()) == 0
                      ? std::nullopt
                      : std::optional<std::int64_t>(sqlite3_last_insert_rowid(db_.get())));
  }
  if (Status st = tx.commit(); !st.ok()) return st;
  return out;
}

Status SqliteStore::update_run(const Run& r) {
  Stmt q(db_, kUpdateRun);
  bind_run(q, r);
  return q.run("update run");
}

Result<std::vector<Run>> SqliteStore::query_runs(const char* where, const RunFilter& f) {
  std::string sql = std::string(kRunColumns) + where;
  Stmt q(db_, sql.c_str());
  int i = 1;
  if (f.schedule_id) q.bind(i++, *f.schedule_id);
  if (f.state) q.bind(i++, to_string(*f.state));
  std::vector<Run> out;
  while (q.step()) out.push_back(read_run(q));
  if (Status st = q.status("read runs"); !st.ok()) return st;
  return out;
}

Result<Run> SqliteStore::get_run(std::int64_t id) {
  Stmt q(db_, (std::string(kRunColumns) + "WHERE id = ?").c_str());
  q.bind(1, id);
  if (q.step()) return read_run(q);
  if (Status st = q.status("read run"); !st.ok()) return st;
  return Status::error(ErrorKind::kNotFound, "no run with id " + std::to_string(id));
}

Result<std::vector<Run>> SqliteStore::list_runs(const RunFilter& f) {
  std::string where = "WHERE 1=1";
  if (f.schedule_id) where += " AND schedule_id = ?";
  if (f.state) where += " AND state = ?";
  where += " ORDER BY claimed_at_ms DESC, id DESC LIMIT " + std::to_string(f.limit);
  return query_runs(where.c_str(), f);
}

Result<std::optional<Run>> SqliteStore::last_run(std::int64_t schedule_id) {
  RunFilter f;
  f.schedule_id = schedule_id;
  auto runs = query_runs("WHERE schedule_id = ? ORDER BY nominal_s DESC LIMIT 1", f);
  if (!runs.ok()) return std::move(runs).status();
  if (runs->empty()) return std::optional<Run>();
  return std::optional<Run>(std::move(runs->front()));
}

Result<std::vector<Run>> SqliteStore::unfinished_runs() {
  return query_runs("WHERE state IN ('pending', 'running', 'delivering') ORDER BY id", {});
}

Result<Delivery> SqliteStore::ensure_delivery(std::int64_t run_id, DeliveryChannel channel,
                                              std::string_view recipient,
                                              std::string_view message_id,
                                              std::int64_t now_ms) {
  Stmt ins(db_,
           "INSERT INTO deliveries (run_id, channel, recipient, state, message_id, "
           "updated_at_ms) VALUES (?, ?, ?, 'pending', ?, ?) "
           "ON CONFLICT (run_id, channel, recipient) DO NOTHING");
  ins.bind(1, run_id).bind(2, to_string(channel)).bind(3, recipient).bind(4, message_id).bind(5, now_ms);
  if (Status st = ins.run("add delivery"); !st.ok()) return st;
  Stmt q(db_, (std::string(kDeliveryColumns) +
                "WHERE run_id = ? AND channel = ? AND recipient = ?").c_str());
  q.bind(1, run_id).bind(2, to_string(channel)).bind(3, recipient);
  if (q.step()) return read_delivery(q);
  if (Status st = q.status("read delivery"); !st.ok()) return st;
  return Status::error(ErrorKind::kInternal, "delivery row vanished");
}

Status SqliteStore::update_delivery(const Delivery& d) {
  Stmt q(db_,
         "UPDATE deliveries SET state=?, message_id=?, content_document_id=?, error=?, "
         "updated_at_ms=?, rows=?, ran_as=? WHERE id=?");
  q.bind(1, to_string(d.state)).bind(2, d.message_id).bind(3, d.content_document_id);
  q.bind(4, d.error).bind(5, d.updated_at_ms).bind(6, d.rows).bind(7, d.ran_as).bind(8, d.id);
  return q.run("update delivery");
}

Result<std::vector<Delivery>> SqliteStore::list_deliveries(std::int64_t run_id) {
  Stmt q(db_, (std::string(kDeliveryColumns) + "WHERE run_id = ? ORDER BY id").c_str());
  q.bind(1, run_id);
  std::vector<Delivery> out;
  while (q.step()) out.push_back(read_delivery(q));
  if (Status st = q.status("read deliveries"); !st.ok()) return st;
  return out;
}

Result<std::int64_t> SqliteStore::data_version() {
  Stmt q(db_, "PRAGMA data_version");
  if (q.step()) return q.int64(0);
  if (Status st = q.status("read data version"); !st.ok()) return st;
  return std::int64_t{0};
}

Status SqliteStore::put_daemon_state(const DaemonState& s) {
  Stmt q(db_,
         "INSERT INTO daemon_state (id, pid, started_at_ms, heartbeat_at_ms, version, status) "
         "VALUES (1, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET pid=excluded.pid, "
         "started_at_ms=excluded.started_at_ms, heartbeat_at_ms=excluded.heartbeat_at_ms, "
         "version=excluded.version, status=excluded.status");
  q.bind(1, s.pid).bind(2, s.started_at_ms).bind(3, s.heartbeat_at_ms).bind(4, s.version);
  q.bind(5, s.status);
  return q.run("record daemon state");
}

Result<std::optional<DaemonState>> SqliteStore::get_daemon_state() {
  Stmt q(db_, "SELECT pid, started_at_ms, heartbeat_at_ms, version, status FROM daemon_state");
  if (q.step()) {
    DaemonState s{q.int64(0), q.int64(1), q.int64(2), q.text(3), q.text(4)};
    return std::optional<DaemonState>(std::move(s));
  }
  if (Status st = q.status("read daemon state"); !st.ok()) return st;
  return std::optional<DaemonState>();
}

}  // namespace reportd::store
