#include "store/sqlite_store.hpp"

#include "store/migrations.hpp"
#include "store/rows.hpp"

namespace reportd::store {

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path) {
  Result<Db> db = Db::open(path);
  if (!db.ok()) return std::move(db).status();
  // WAL lets the CLI read while the daemon writes; FULL syncs the WAL on every
  // commit so the delivery ledger survives power loss; secure_delete zeroes
  // freed pages so removed secrets do not linger in the file.
  Status st = db->exec(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA secure_delete=ON; "
      "PRAGMA temp_store=MEMORY; PRAGMA foreign_keys=ON;",
      "configure database " + path);
  if (!st.ok()) return st;
  if (st = migrate(*db); !st.ok()) return std::move(st).with_context("migrate " + path);
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(db).value()));
}

Status SqliteStore::checkpoint_in_background(WalCheckpointer::OnDone on_done) {
  const char* file = sqlite3_db_filename(db_.get(), "main");
  if (checkpointer_ || file == nullptr || *file == '\0') return Status();
  // 1000 pages: SQLite's own mark (SQLITE_DEFAULT_WAL_AUTOCHECKPOINT).
  auto started = WalCheckpointer::start(db_, file, 1000, std::move(on_done));
  if (!started.ok()) return started.status();
  checkpointer_ = std::move(started).value();
  return Status();
}

Status SqliteStore::sync_in_background(WalSyncer::Options options) {
  const char* file = sqlite3_db_filename(db_.get(), "main");
  if (syncer_ || file == nullptr || *file == '\0') return Status();
  auto started = WalSyncer::start(db_, sqlite3_filename_wal(file), std::move(options));
  if (!started.ok()) return started.status();
  syncer_ = std::move(started).value();
  return Status();
}

Result<std::string> SqliteStore::integrity_check() {
  Stmt q(db_, "PRAGMA integrity_check");
  std::string out;
  while (q.step()) out += q.text(0);
  if (Status st = q.status("integrity check"); !st.ok()) return st;
  return out;
}

// --- connections

Result<std::int64_t> SqliteStore::add_connection(const Connection& c, const SealNew& seal) {
  Transaction tx(db_);
  if (Status st = tx.begin(); !st.ok()) return st;
  Stmt ins(db_,
           "INSERT INTO connections (name, login_url, client_id, org_id, instance_url, "
           "refresh_token, key_id, allowed_domains, created_at_ms) "
           "VALUES (?, ?, ?, ?, ?, x'', '', ?, ?)");
  ins.bind(1, c.name).bind(2, c.login_url).bind(3, c.client_id).bind(4, c.org_id);
  ins.bind(5, c.instance_url).bind(6, join(c.allowed_domains, '\n')).bind(7, c.created_at_ms);
  if (Status st = ins.run("add connection"); !st.ok()) {
    if (st.kind() == ErrorKind::kAlreadyExists) {
      return Status::error(ErrorKind::kAlreadyExists,
                           "a connection named \"" + c.name + "\" already exists; remove it "
                           "first with `reportd connections remove " + c.name + "`");
    }
    return st;
  }
  Connection with_id = c;
  with_id.id = sqlite3_last_insert_rowid(db_.get());
  Result<Connection> sealed = seal(with_id);
  if (!sealed.ok()) return std::move(sealed).status();
  if (Status st = update_connection_secrets(with_id.id, sealed->sealed_refresh_token,
                                            sealed->sealed_client_secret, sealed->key_id);
      !st.ok()) {
    return st;
  }
  if (Status st = tx.commit(); !st.ok()) return st;
  return with_id.id;
}

Result<std::vector<Connection>> SqliteStore::query_connections(const char* where,
                                                               std::string_view arg,
                                                               std::int64_t id) {
  std::string sql = std::string(kConnectionColumns) + where;
  Stmt q(db_, sql.c_str());
  if (!arg.empty()) q.bind(1, arg);
  if (id != 0) q.bind(1, id);
  std::vector<Connection> out;
  while (q.step()) out.push_back(read_connection(q));
  if (Status st = q.status("read connections"); !st.ok()) return st;
  return out;
}

Result<std::vector<Connection>> SqliteStore::list_connections() {
  return query_connections("ORDER BY name", {}, 0);
}

Result<Connection> SqliteStore::find_connection(std::string_view name) {
  auto rows = query_connections("WHERE name = ?", name, 0);
  if (!rows.ok()) return std::move(rows).status();
  if (rows->empty()) return not_found_named("connection", name);
  return std::move(rows->front());
}

Result<Connection> SqliteStore::get_connection(std::int64_t id) {
  auto rows = query_connections("WHERE id = ?", {}, id);
  if (!rows.ok()) return std::move(rows).status();
  if (rows->empty()) {
    return Status::error(ErrorKind::kNotFound, "no connection with id " + std::to_string(id));
  }
  return std::move(rows->front());
}

Status SqliteStore::remove_connection(std::string_view name) {
  Stmt q(db_, "DELETE FROM connections WHERE name = ?");
  q.bind(1, name);
  if (Status st = q.run("remove connection"); !st.ok()) return st;
  if (sqlite3_changes(db_.get()) == 0) return not_found_named("connection", name);
  return {};
}

Status SqliteStore::update_connection_secrets(std::int64_t id, const Bytes& sealed_refresh_token,
                                              const Bytes& sealed_client_secret,
                                              std::string_view key_id) {
  Stmt q(db_, "UPDATE connections SET refresh_token = ?, client_secret = ?, key_id = ? "
              "WHERE id = ?");
  q.bind(1, std::span<const std::uint8_t>(sealed_refresh_token))
      .bind(2, std::span<const std::uint8_t>(sealed_client_secret))
      .bind(3, key_id)
      .bind(4, id);
  return q.run("store sealed token");
}

Status SqliteStore::set_connection_jwt(std::int64_t id, const JwtSetting& jwt) {
  Stmt q(db_, kSetConnectionJwt);
  bind_jwt(q, jwt, id);
  return q.run("store JWT configuration");
}

Status SqliteStore::update_connection_org(std::int64_t id, std::string_view org_id,
                                          std::string_view instance_url) {
  Stmt q(db_, "UPDATE connections SET org_id = ?, instance_url = ? WHERE id = ?");
  q.bind(1, org_id).bind(2, instance_url).bind(3, id);
  return q.run("update connection org");
}

Status SqliteStore::set_connection_status(std::int64_t id, ConnectionStatus status,
                                          std::string_view reason) {
  Stmt q(db_, "UPDATE connections SET status = ?, status_reason = ? WHERE id = ?");
  q.bind(1, to_string(status)).bind(2, reason).bind(3, id);
  return q.run("set connection status");
}

Status SqliteStore::set_connection_domains(std::int64_t id, const std::vector<std::string>& domains,
                                           const std::vector<Pause>& pause, bool resync) {
  Transaction tx(db_);
  if (Status st = tx.begin(); !st.ok()) return st;
  Stmt q(db_, "UPDATE connections SET allowed_domains = ? WHERE id = ?");
  q.bind(1, join(domains, '\n')).bind(2, id);
  if (Status st = q.run("set allowed domains"); !st.ok()) return st;
  if (sqlite3_changes(db_.get()) == 0) {
    return Status::error(ErrorKind::kNotFound, "no connection with id " + std::to_string(id));
  }
  for (const auto& [schedule_id, reason] : pause) {
    if (Status st = set_schedule_paused(schedule_id, true, reason); !st.ok()) return st;
  }
  if (resync) {
    Stmt r(db_, "UPDATE sync_state SET modstamp = '' WHERE connection_id = ?");
    r.bind(1, id);
    if (Status st = r.run("reset sync cursor"); !st.ok()) return st;
  }
  return tx.commit();
}

Status SqliteStore::bump_connection_generation(std::int64_t id) {
  Stmt q(db_, "UPDATE connections SET generation = generation + 1 WHERE id = ?");
  q.bind(1, id);
  return q.run("renew connection generation");
}

Status SqliteStore::transaction(const std::function<Status(Store&)>& body) {
  Transaction tx(db_);
  if (Status st = tx.begin(); !st.ok()) return st;
  if (Status st = body(*this); !st.ok()) return st;
  return tx.commit();
}

// --- keys

Result<std::map<std::string, std::int64_t>> SqliteStore::count_tokens_by_key() {
  Stmt q(db_, "SELECT key_id, count(*) FROM connections GROUP BY key_id");
  std::map<std::string, std::int64_t> out;
  while (q.step()) out[q.text(0)] = q.int64(1);
  if (Status st = q.status("count tokens by key"); !st.ok()) return st;
  return out;
}

Result<std::int64_t> SqliteStore::rewrap_all(const Rewrap& rewrap) {
  return rewrap_connections(*this, rewrap);
}

}  // namespace reportd::store
