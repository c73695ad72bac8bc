// SqliteStore: pending OAuth authorizations (migration 2).
#include "store/sqlite_store.hpp"

namespace reportd::store {

Status SqliteStore::add_pending_authorization(const PendingAuthorization& p) {
  Stmt q(db_,
         "INSERT INTO pending_authorizations (state, name, login_url, client_id, redirect_uri, "
         "sealed_secrets, key_id, created_at_ms, expires_at_ms, outcome) "
         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '')");
  q.bind(1, p.state).bind(2, p.name).bind(3, p.login_url).bind(4, p.client_id);
  q.bind(5, p.redirect_uri).bind(6, std::span<const std::uint8_t>(p.sealed_secrets));
  q.bind(7, p.key_id).bind(8, p.created_at_ms).bind(9, p.expires_at_ms);
  return q.run("add pending authorization");
}

Result<std::optional<PendingAuthorization>> SqliteStore::get_pending_authorization(
    std::string_view state) {
  std::string sql = std::string(kPendingColumns) + "WHERE state = ?";
  Stmt q(db_, sql.c_str());
  q.bind(1, state);
  if (q.step()) return std::optional<PendingAuthorization>(read_pending(q));
  if (Status st = q.status("read pending authorization"); !st.ok()) return st;
  return std::optional<PendingAuthorization>();
}

Result<std::optional<PendingAuthorization>> SqliteStore::claim_pending_authorization(
    std::string_view state, std::int64_t now_ms) {
  // One transaction: two callbacks with the same state cannot both win.
  Transaction tx(db_);
  if (Status st = tx.begin(); !st.ok()) return st;
  Stmt take(db_,
            "UPDATE pending_authorizations SET outcome = 'exchanging' "
            "WHERE state = ? AND outcome = '' AND expires_at_ms > ?");
  take.bind(1, state).bind(2, now_ms);
  if (Status st = take.run("claim pending authorization"); !st.ok()) return st;
  if (sqlite3_changes(db_.get()) == 0) return std::optional<PendingAuthorization>();
  auto row = get_pending_authorization(state);
  if (!row.ok()) return row;
  if (Status st = tx.commit(); !st.ok()) return st;
  return row;
}

Status SqliteStore::finish_pending_authorization(std::string_view state, std::string_view outcome) {
  Stmt q(db_,
         "UPDATE pending_authorizations SET outcome = ?, sealed_secrets = x'' WHERE state = ?");
  q.bind(1, outcome).bind(2, state);
  return q.run("finish pending authorization");
}

Result<std::int64_t> SqliteStore::purge_pending_authorizations(std::int64_t now_ms) {
  Stmt q(db_, "DELETE FROM pending_authorizations WHERE expires_at_ms <= ?");
  q.bind(1, now_ms);
  if (Status st = q.run("purge pending authorizations"); !st.ok()) return st;
  return static_cast<std::int64_t>(sqlite3_changes(db_.get()));
}

}  // namespace reportd::store
