// PgStore: occurrences, runs, the delivery ledger, daemon state and pending
// OAuth authorizations.
#include <algorithm>
#include <numeric>
#include <tuple>

#include "store/pg_store.hpp"
#include "store/rows.hpp"

namespace reportd::store {

Result<std::optional<std::int64_t>> PgStore::claim_occurrence(std::int64_t schedule_id,
                                                              std::int64_t nominal_s,
                                                              RunState state,
                                                              std::string_view reason,
                                                              std::int64_t now_ms) {
  // The UNIQUE (schedule_id, nominal_s) key makes the claim: of two
  // sessions inserting the same occurrence at once, the second waits for
  // the first to commit and then inserts nothing (no row returned).
  PgParams p;
  p.bind(1, schedule_id).bind(2, nominal_s).bind(3, to_string(state)).bind(4, reason);
  p.bind(5, now_ms);
  auto r = conn_.exec(
      "INSERT INTO runs (schedule_id, nominal_s, state, reason, claimed_at_ms) "
      "VALUES (?, ?, ?, ?, ?) ON CONFLICT (schedule_id, nominal_s) DO NOTHING RETURNING id",
      p, "claim occurrence");
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(r->int64(0, 0));
}

Result<std::vector<std::optional<std::int64_t>>> PgStore::claim_occurrences(
    const std::vector<OccurrenceClaim>& claims, std::int64_t now_ms) {
  PgTransaction tx(conn_);
  if (Status st = tx.begin(); !st.ok()) return st;
  const std::string sql = std::string(kClaimIfScheduled) + " RETURNING id";
  // Inserted in one order on every node (schedule, then second): a node
  // claiming occurrences another node's transaction is claiming too then
  // waits at most for that commit. In the order given, two nodes could each
  // hold a key the other inserts next: a deadlock, which PostgreSQL breaks
  // only after deadlock_timeout (a second, with both nodes' store threads
  // stuck: claims, take-overs, fenced writes) by failing one of the claims.
  std::vector<std::size_t> order(claims.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&claims](std::size_t a, std::size_t b) {
    return std::tie(claims[a].schedule_id, claims[a].nominal_s) <
           std::tie(claims[b].schedule_id, claims[b].nominal_s);
  });
  std::vector<std::optional<std::int64_t>> out(claims.size());
  for (std::size_t i : order) {
    const OccurrenceClaim& c = claims[i];
    PgParams p;
    p.bind(1, c.nominal_s).bind(2, to_string(c.state)).bind(3, c.reason).bind(4, now_ms);
    p.bind(5, c.schedule_id);
    auto r = conn_.exec(sql, p, "claim occurrences");
    if (!r.ok()) return r.status();
    if (r->rows() != 0) out[i] = r->int64(0, 0);
  }
  if (Status st = tx.commit(); !st.ok()) return st;
  return out;
}

Status PgStore::update_run(const Run& run) {
  PgParams p;
  bind_run(p, run);
  return done(conn_.exec(kUpdateRun, p, "update run"));
}

Result<std::vector<Run>> PgStore::query_runs(const std::string& where, const PgParams& params) {
  return query<Run>(std::string(kRunColumns) + where, params, "read runs",
                    [](const PgRow& row) { return read_run(row); });
}

Result<Run> PgStore::get_run(std::int64_t id) {
  auto runs = query_runs("WHERE id = ?", PgParams().bind(1, id));
  if (!runs.ok()) return runs.status();
  if (runs->empty()) {
    return Status::error(ErrorKind::kNotFound, "no run with id " + std::to_string(id));
  }
  return std::move(runs->front());
}

Result<std::vector<Run>> PgStore::list_runs(const RunFilter& f) {
  std::string where = "WHERE true";
  PgParams p;
  int i = 1;
  if (f.schedule_id) {
    where += " AND schedule_id = ?";
    p.bind(i++, *f.schedule_id);
  }
  if (f.state) {
    where += " AND state = ?";
    p.bind(i++, to_string(*f.state));
  }
  where += " ORDER BY claimed_at_ms DESC, id DESC LIMIT ?";
  p.bind(i, f.limit);
  return query_runs(where, p);
}

Result<std::optional<Run>> PgStore::last_run(std::int64_t schedule_id) {
  auto runs = query_runs("WHERE schedule_id = ? ORDER BY nominal_s DESC LIMIT 1",
                         PgParams().bind(1, schedule_id));
  if (!runs.ok()) return std::move(runs).status();
  if (runs->empty()) return std::optional<Run>();
  return std::optional<Run>(std::move(runs->front()));
}

Result<std::vector<Run>> PgStore::unfinished_runs() {
  return query_runs("WHERE state IN ('pending', 'running', 'delivering') ORDER BY id", {});
}

// --- the delivery ledger

Result<Delivery> PgStore::ensure_delivery(std::int64_t run_id, DeliveryChannel channel,
                                          std::string_view recipient, std::string_view message_id,
                                          std::int64_t now_ms) {
  PgParams p;
  p.bind(1, run_id).bind(2, to_string(channel)).bind(3, recipient).bind(4, message_id).bind(5, now_ms);
  auto ins = conn_.exec(
      "INSERT INTO deliveries (run_id, channel, recipient, state, message_id, updated_at_ms) "
      "VALUES (?, ?, ?, 'pending', ?, ?) ON CONFLICT (run_id, channel, recipient) DO NOTHING",
      p, "add delivery");
  if (!ins.ok()) return ins.status();
  auto rows = query<Delivery>(
      std::string(kDeliveryColumns) + "WHERE run_id = ? AND channel = ? AND recipient = ?",
      PgParams().bind(1, run_id).bind(2, to_string(channel)).bind(3, recipient), "read delivery",
      [](const PgRow& row) { return read_delivery(row); });
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Status::error(ErrorKind::kInternal, "delivery row vanished");
  return std::move(rows->front());
}

Status PgStore::update_delivery(const Delivery& d) {
  PgParams p;
  p.bind(1, to_string(d.state)).bind(2, d.message_id).bind(3, d.content_document_id);
  p.bind(4, d.error).bind(5, d.updated_at_ms).bind(6, d.rows).bind(7, d.ran_as).bind(8, d.id);
  return done(
      conn_.exec("UPDATE deliveries SET state=?, message_id=?, content_document_id=?, error=?, "
                 "updated_at_ms=?, rows=?, ran_as=? WHERE id=?",
                 p, "update delivery"));
}

Result<std::vector<Delivery>> PgStore::list_deliveries(std::int64_t run_id) {
  return query<Delivery>(std::string(kDeliveryColumns) + "WHERE run_id = ? ORDER BY id",
                         PgParams().bind(1, run_id), "read deliveries",
                         [](const PgRow& row) { return read_delivery(row); });
}

// --- daemon state

Status PgStore::put_daemon_state(const DaemonState& s) {
  PgParams p;
  p.bind(1, s.pid).bind(2, s.started_at_ms).bind(3, s.heartbeat_at_ms).bind(4, s.version);
  p.bind(5, s.status);
  return done(conn_.exec(
      "INSERT INTO daemon_state (id, pid, started_at_ms, heartbeat_at_ms, version, status) "
      "VALUES (1, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET pid=excluded.pid, "
      "started_at_ms=excluded.started_at_ms, heartbeat_at_ms=excluded.heartbeat_at_ms, "
      "version=excluded.version, status=excluded.status",
      p, "record daemon state"));
}

Result<std::optional<DaemonState>> PgStore::get_daemon_state() {
  auto r =
      conn_.exec("SELECT pid, started_at_ms, heartbeat_at_ms, version, status FROM daemon_state",
                 "read daemon state");
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return std::optional<DaemonState>();
  return std::optional<DaemonState>(
      DaemonState{r->int64(0, 0), r->int64(0, 1), r->int64(0, 2), r->text(0, 3), r->text(0, 4)});
}

// --- pending OAuth authorizations

Status PgStore::add_pending_authorization(const PendingAuthorization& a) {
  PgParams p;
  p.bind(1, a.state).bind(2, a.name).bind(3, a.login_url).bind(4, a.client_id);
  p.bind(5, a.redirect_uri).bind(6, std::span<const std::uint8_t>(a.sealed_secrets));
  p.bind(7, a.key_id).bind(8, a.created_at_ms).bind(9, a.expires_at_ms);
  return done(conn_.exec_atomic(
      "INSERT INTO pending_authorizations (state, name, login_url, client_id, "
      "redirect_uri, sealed_secrets, key_id, created_at_ms, expires_at_ms, outcome) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '')",
      p, "add pending authorization"));
}

Result<std::optional<PendingAuthorization>> PgStore::get_pending_authorization(
    std::string_view state) {
  auto rows = query<PendingAuthorization>(std::string(kPendingColumns) + "WHERE state = ?",
                                          PgParams().bind(1, state), "read pending authorization",
                                          [](const PgRow& row) { return read_pending(row); });
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<PendingAuthorization>();
  return std::optional<PendingAuthorization>(std::move(rows->front()));
}

Result<std::optional<PendingAuthorization>> PgStore::claim_pending_authorization(
    std::string_view state, std::int64_t now_ms) {
  // One statement: of two callbacks with the same state, the second waits
  // for the first's row lock and then finds the outcome no longer empty.
  auto rows = query<PendingAuthorization>(
      "UPDATE pending_authorizations SET outcome = 'exchanging' "
      "WHERE state = ? AND outcome = '' AND expires_at_ms > ? RETURNING state, name, login_url, "
      "client_id, redirect_uri, sealed_secrets, key_id, created_at_ms, expires_at_ms, outcome",
      PgParams().bind(1, state).bind(2, now_ms), "claim pending authorization",
      [](const PgRow& row) { return read_pending(row); });
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<PendingAuthorization>();
  return std::optional<PendingAuthorization>(std::move(rows->front()));
}

Status PgStore::finish_pending_authorization(std::string_view state, std::string_view outcome) {
  return done(
      conn_.exec("UPDATE pending_authorizations SET outcome = ?, sealed_secrets = ''::bytea "
                 "WHERE state = ?",
                 PgParams().bind(1, outcome).bind(2, state), "finish pending authorization"));
}

Result<std::int64_t> PgStore::purge_pending_authorizations(std::int64_t now_ms) {
  auto r = conn_.exec("DELETE FROM pending_authorizations WHERE expires_at_ms <= ?",
                      PgParams().bind(1, now_ms), "purge pending authorizations");
  if (!r.ok()) return r.status();
  return r->affected();
}

}  // namespace reportd::store
