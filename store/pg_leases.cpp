// PgStore: nodes and run leases (store/leases.hpp). Several nodes share the
// database, so the two statements that meet another node's work take row
// locks: take_over() skips rows another transaction holds (FOR UPDATE SKIP
// LOCKED: a node never waits on a run its holder is writing), and
// check_lease() locks the run's row for the rest of the holder's
// transaction (FOR UPDATE: a take-over cannot come between the fence and
// the writes it guards; it skips the row and looks again next heartbeat).
#include "store/lease_sql.hpp"
#include "store/pg_store.hpp"

namespace reportd::store {

bool PgStore::shared() const { return true; }

Status PgStore::put_node(const Node& node, std::int64_t forget_before_ms) {
  PgTransaction tx(conn_);
  if (Status st = tx.begin(); !st.ok()) return st;
  PgParams p;
  bind_node(p, node);
  if (Status st = done(conn_.exec(kPutNode, p, "record node")); !st.ok()) return st;
  if (Status st = done(conn_.exec(kForgetNodes, PgParams().bind(1, forget_before_ms),
                                  "forget old nodes"));
      !st.ok()) {
    return st;
  }
  return tx.commit();
}

Result<std::vector<Node>> PgStore::list_nodes() {
  return query<Node>(kListNodes, {}, "read nodes", [](const PgRow& row) { return read_node(row); });
}

Result<std::int64_t> PgStore::acquire_lease(std::int64_t run_id, std::string_view node,
                                            std::int64_t expires_at_ms) {
  PgParams p;
  p.bind(1, node).bind(2, expires_at_ms).bind(3, run_id);
  auto r = conn_.exec(kAcquireLease, p, "take lease");
  if (!r.ok()) return r.status();
  if (r->rows() != 1) {
    return Status::error(ErrorKind::kNotFound, "no run with id " + std::to_string(run_id));
  }
  return r->int64(0, 0);
}

Result<bool> PgStore::renew_lease(const Lease& lease, std::string_view node,
                                  std::int64_t expires_at_ms) {
  PgParams p;
  p.bind(1, expires_at_ms).bind(2, lease.run_id).bind(3, node).bind(4, lease.epoch);
  auto r = conn_.exec(kRenewLease, p, "renew lease");
  if (!r.ok()) return r.status();
  return r->affected() == 1;
}

Result<std::vector<Lease>> PgStore::take_over(std::string_view node, std::int64_t now_ms,
                                              std::int64_t expires_at_ms,
                                              const std::vector<std::int64_t>& except,
                                              int limit) {
  const std::string sql = take_over_sql(except, " FOR UPDATE SKIP LOCKED");
  PgParams p;
  p.bind(1, node).bind(2, expires_at_ms).bind(3, now_ms).bind(4, std::int64_t{limit});
  return query<Lease>(sql, p, "take over runs", [](const PgRow& row) { return read_lease(row); });
}

Result<Expiries> PgStore::next_expiry(std::string_view node,
                                      const std::vector<std::int64_t>& except,
                                      std::int64_t now_ms) {
  auto r =
      conn_.exec(next_expiry_sql(except), PgParams().bind(1, now_ms).bind(2, now_ms).bind(3, node),
                 "read lease expiries");
  if (!r.ok()) return r.status();
  Expiries out;
  if (r->rows() != 1) return out;
  if (!r->is_null(0, 0)) out.overdue = r->int64(0, 0);
  if (!r->is_null(0, 1)) out.upcoming = r->int64(0, 1);
  return out;
}

Status PgStore::check_lease(std::int64_t run_id, std::string_view node, std::int64_t epoch,
                            std::int64_t valid_after_ms) {
  auto r = conn_.exec("SELECT lease_node, lease_epoch, lease_expires_ms FROM runs WHERE id = ? "
                      "FOR UPDATE",
                      PgParams().bind(1, run_id), "check lease");
  if (!r.ok()) return r.status();
  if (r->rows() != 1) return lease_lost(run_id, "the run is gone");
  if (r->text(0, 0) != node || r->int64(0, 1) != epoch) {
    return lease_lost(run_id, "another node took it over");
  }
  if (r->int64(0, 2) <= valid_after_ms) return lease_lost(run_id, "the lease expired");
  return {};
}

}  // namespace reportd::store
