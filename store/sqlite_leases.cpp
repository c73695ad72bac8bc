// SqliteStore: nodes and run leases (store/leases.hpp). One node serves a
// SQLite store; the statements are those of PostgreSQL without row locks,
// since a write transaction (BEGIN IMMEDIATE) already excludes every other.
#include "store/lease_sql.hpp"
#include "store/sqlite_store.hpp"

namespace reportd::store {

bool SqliteStore::shared() const { return false; }

Status SqliteStore::put_node(const Node& node, std::int64_t forget_before_ms) {
  Transaction tx(db_);
  if (Status st = tx.begin(); !st.ok()) return st;
  Stmt put(db_, kPutNode);
  bind_node(put, node);
  if (Status st = put.run("record node"); !st.ok()) return st;
  Stmt forget(db_, kForgetNodes);
  forget.bind(1, forget_before_ms);
  if (Status st = forget.run("forget old nodes"); !st.ok()) return st;
  return tx.commit();
}

Result<std::vector<Node>> SqliteStore::list_nodes() {
  Stmt q(db_, kListNodes);
  std::vector<Node> out;
  while (q.step()) out.push_back(read_node(q));
  if (Status st = q.status("read nodes"); !st.ok()) return st;
  return out;
}

Result<std::int64_t> SqliteStore::acquire_lease(std::int64_t run_id, std::string_view node,
                                                std::int64_t expires_at_ms) {
  Stmt q(db_, kAcquireLease);
  q.bind(1, node).bind(2, expires_at_ms).bind(3, run_id);
  if (q.step()) return q.int64(0);
  if (Status st = q.status("take lease"); !st.ok()) return st;
  return Status::error(ErrorKind::kNotFound, "no run with id " + std::to_string(run_id));
}

Result<bool> SqliteStore::renew_lease(const Lease& lease, std::string_view node,
                                      std::int64_t expires_at_ms) {
  Stmt q(db_, kRenewLease);
  q.bind(1, expires_at_ms).bind(2, lease.run_id).bind(3, node).bind(4, lease.epoch);
  if (Status st = q.run("renew lease"); !st.ok()) return st;
  return sqlite3_changes(db_.get()) == 1;
}

Result<std::vector<Lease>> SqliteStore::take_over(std::string_view node, std::int64_t now_ms,
                                                  std::int64_t expires_at_ms,
                                                  const std::vector<std::int64_t>& except,
                                                  int limit) {
  const std::string sql = take_over_sql(except, "");
  Stmt q(db_, sql.c_str());
  q.bind(1, node).bind(2, expires_at_ms).bind(3, now_ms).bind(4, std::int64_t{limit});
  std::vector<Lease> out;
  while (q.step()) out.push_back(read_lease(q));
  if (Status st = q.status("take over runs"); !st.ok()) return st;
  return out;
}

Result<Expiries> SqliteStore::next_expiry(std::string_view node,
                                          const std::vector<std::int64_t>& except,
                                          std::int64_t now_ms) {
  const std::string sql = next_expiry_sql(except);
  Stmt q(db_, sql.c_str());
  q.bind(1, now_ms);
  q.bind(2, now_ms);
  q.bind(3, node);
  Expiries out;
  if (!q.step()) {
    if (Status st = q.status("read lease expiries"); !st.ok()) return st;
    return out;
  }
  if (!q.is_null(0)) out.overdue = q.int64(0);
  if (!q.is_null(1)) out.upcoming = q.int64(1);
  return out;
}

Status SqliteStore::check_lease(std::int64_t run_id, std::string_view node, std::int64_t epoch,
                                std::int64_t valid_after_ms) {
  Stmt q(db_,
         "SELECT lease_node, lease_epoch, lease_expires_ms FROM runs WHERE id = ?");
  q.bind(1, run_id);
  if (!q.step()) {
    if (Status st = q.status("check lease"); !st.ok()) return st;
    return lease_lost(run_id, "the run is gone");
  }
  if (q.text(0) != node || q.int64(1) != epoch) return lease_lost(run_id, "another node took it over");
  if (q.int64(2) <= valid_after_ms) return lease_lost(run_id, "the lease expired");
  return {};
}

}  // namespace reportd::store
