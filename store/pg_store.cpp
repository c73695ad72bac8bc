// PgStore: opening, connections, transactions, keys and data_version.
#include "store/pg_store.hpp"

#include "store/rows.hpp"

namespace reportd::store {
namespace {

Status no_connection(std::int64_t id) {
  return Status::error(ErrorKind::kNotFound, "no connection with id " + std::to_string(id));
}

}  // namespace

Result<std::unique_ptr<PgStore>> PgStore::open(const std::string& url, std::string_view password) {
  Result<PgConn> conn = PgConn::connect(url, password);
  if (!conn.ok()) return conn.status();
  if (Status st = pg_migrate(*conn); !st.ok()) return std::move(st).with_context("migrate");
  return std::unique_ptr<PgStore>(new PgStore(std::move(conn).value()));
}

Result<std::int64_t> PgStore::change(std::string_view sql, const PgParams& params,
                                     std::string_view what) {
  PgTransaction tx(conn_);
  if (Status st = tx.begin(); !st.ok()) return st;
  auto r = conn_.exec(sql, params, what);
  if (!r.ok()) return r.status();
  if (Status st = bump(what); !st.ok()) return st;
  if (Status st = tx.commit(); !st.ok()) return st;
  return r->affected();
}

Status PgStore::bump(std::string_view what) {
  // And tells every listening node (store/pg_listener.hpp): the notice
  // leaves when this transaction commits.
  auto r = conn_.exec(
      std::string("WITH b AS (UPDATE reportd_meta SET changes = changes + 1 WHERE id = 1 "
                  "RETURNING 1) SELECT pg_notify('") +
          kChangeChannel + "', '') FROM b",
      what);
  if (!r.ok()) return r.status();
  conn_.note_change();
  return {};
}

Result<std::int64_t> PgStore::data_version() {
  auto r = conn_.exec("SELECT changes FROM reportd_meta WHERE id = 1", "read data version");
  if (!r.ok()) return r.status();
  if (r->rows() != 1) return std::int64_t{0};
  return r->int64(0, 0) - conn_.own_changes();
}

Status PgStore::transaction(const std::function<Status(Store&)>& body) {
  PgTransaction tx(conn_);
  if (Status st = tx.begin(); !st.ok()) return st;
  if (Status st = body(*this); !st.ok()) return st;
  return tx.commit();
}

// --- connections

Result<std::int64_t> PgStore::add_connection(const Connection& c, const SealNew& seal) {
  PgTransaction tx(conn_);
  if (Status st = tx.begin(); !st.ok()) return st;
  PgParams p;
  p.bind(1, c.name).bind(2, c.login_url).bind(3, c.client_id).bind(4, c.org_id);
  p.bind(5, c.instance_url).bind(6, join(c.allowed_domains, '\n')).bind(7, c.created_at_ms);
  auto ins = conn_.exec_atomic(
      "INSERT INTO connections (name, login_url, client_id, org_id, instance_url, "
      "refresh_token, key_id, allowed_domains, created_at_ms) "
      "VALUES (?, ?, ?, ?, ?, ''::bytea, '', ?, ?) RETURNING id",
      p, "add connection");
  if (!ins.ok()) {
    if (ins.status().kind() == ErrorKind::kAlreadyExists) {
      return Status::error(ErrorKind::kAlreadyExists,
                           "a connection named \"" + c.name +
                               "\" already exists; remove it "
                               "first with `reportd connections remove " +
                               c.name + "`");
    }
    return ins.status();
  }
  Connection with_id = c;
  with_id.id = ins->int64(0, 0);
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

Result<std::vector<Connection>> PgStore::query_connections(const char* where,
                                                           const PgParams& params) {
  return query<Connection>(std::string(kConnectionColumns) + where, params, "read connections",
                           [](const PgRow& row) { return read_connection(row); });
}

Result<std::vector<Connection>> PgStore::list_connections() {
  return query_connections("ORDER BY name", {});
}

Result<Connection> PgStore::find_connection(std::string_view name) {
  auto rows = query_connections("WHERE name = ?", PgParams().bind(1, name));
  if (!rows.ok()) return std::move(rows).status();
  if (rows->empty()) return not_found_named("connection", name);
  return std::move(rows->front());
}

Result<Connection> PgStore::get_connection(std::int64_t id) {
  auto rows = query_connections("WHERE id = ?", PgParams().bind(1, id));
  if (!rows.ok()) return std::move(rows).status();
  if (rows->empty()) return no_connection(id);
  return std::move(rows->front());
}

Status PgStore::remove_connection(std::string_view name) {
  auto n = change("DELETE FROM connections WHERE name = ?", PgParams().bind(1, name),
                  "remove connection");
  if (!n.ok()) return n.status();
  if (*n == 0) return not_found_named("connection", name);
  return {};
}

Status PgStore::update_connection_secrets(std::int64_t id, const Bytes& sealed_refresh_token,
                                          const Bytes& sealed_client_secret,
                                          std::string_view key_id) {
  PgParams p;
  p.bind(1, std::span<const std::uint8_t>(sealed_refresh_token))
      .bind(2, std::span<const std::uint8_t>(sealed_client_secret))
      .bind(3, key_id)
      .bind(4, id);
  return done(
      change("UPDATE connections SET refresh_token = ?, client_secret = ?, key_id = ? "
             "WHERE id = ?",
             p, "store sealed token"));
}

Status PgStore::set_connection_jwt(std::int64_t id, const JwtSetting& jwt) {
  PgParams p;
  bind_jwt(p, jwt, id);
  return done(change(kSetConnectionJwt, p, "store JWT configuration"));
}

Status PgStore::update_connection_org(std::int64_t id, std::string_view org_id,
                                      std::string_view instance_url) {
  PgParams p;
  p.bind(1, org_id).bind(2, instance_url).bind(3, id);
  return done(change("UPDATE connections SET org_id = ?, instance_url = ? WHERE id = ?", p,
                     "update connection org"));
}

Status PgStore::set_connection_status(std::int64_t id, ConnectionStatus status,
                                      std::string_view reason) {
  PgParams p;
  p.bind(1, to_string(status)).bind(2, reason).bind(3, id);
  return done(change("UPDATE connections SET status = ?, status_reason = ? WHERE id = ?", p,
                     "set connection status"));
}

Status PgStore::set_connection_domains(std::int64_t id, const std::vector<std::string>& domains,
                                       const std::vector<Pause>& pause, bool resync) {
  PgTransaction tx(conn_);
  if (Status st = tx.begin(); !st.ok()) return st;
  PgParams p;
  p.bind(1, join(domains, '\n')).bind(2, id);
  auto n =
      change("UPDATE connections SET allowed_domains = ? WHERE id = ?", p, "set allowed domains");
  if (!n.ok()) return n.status();
  if (*n == 0) return no_connection(id);
  for (const auto& [schedule_id, reason] : pause) {
    if (Status st = set_schedule_paused(schedule_id, true, reason); !st.ok()) return st;
  }
  if (resync) {
    auto r = conn_.exec("UPDATE sync_state SET modstamp = '' WHERE connection_id = ?",
                        PgParams().bind(1, id), "reset sync cursor");
    if (!r.ok()) return r.status();
  }
  return tx.commit();
}

Status PgStore::bump_connection_generation(std::int64_t id) {
  return done(change("UPDATE connections SET generation = generation + 1 WHERE id = ?",
                     PgParams().bind(1, id), "renew connection generation"));
}

// --- keys

Result<std::map<std::string, std::int64_t>> PgStore::count_tokens_by_key() {
  auto r =
      conn_.exec("SELECT key_id, count(*) FROM connections GROUP BY key_id", "count tokens by key");
  if (!r.ok()) return r.status();
  std::map<std::string, std::int64_t> out;
  for (int i = 0; i < r->rows(); ++i) out[r->text(i, 0)] = r->int64(i, 1);
  return out;
}

Result<std::int64_t> PgStore::rewrap_all(const Rewrap& rewrap) {
  return rewrap_connections(*this, rewrap);
}

}  // namespace reportd::store
