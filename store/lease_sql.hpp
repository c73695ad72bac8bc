#pragma once
// The statements of store/leases.hpp that both engines share ('?'
// placeholders; PgConn numbers them). Only take_over() and check_lease()
// differ by dialect (row locks), and are written in each engine's file.

#include <cstdint>
#include <string>
#include <vector>

#include "store/leases.hpp"

namespace reportd::store {

inline constexpr const char* kUnfinished = "state IN ('pending', 'running', 'delivering')";

inline constexpr const char* kPutNode =
    "INSERT INTO nodes (id, host, pid, started_at_ms, heartbeat_at_ms, status) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET host=excluded.host, "
    "pid=excluded.pid, started_at_ms=excluded.started_at_ms, "
    "heartbeat_at_ms=excluded.heartbeat_at_ms, status=excluded.status";

inline constexpr const char* kForgetNodes =
    "DELETE FROM nodes WHERE heartbeat_at_ms < ? AND id NOT IN (SELECT lease_node FROM runs "
    "WHERE state IN ('pending', 'running', 'delivering'))";

inline constexpr const char* kListNodes =
    "SELECT n.id, n.host, n.pid, n.started_at_ms, n.heartbeat_at_ms, n.status, "
    "(SELECT count(*) FROM runs r WHERE r.lease_node = n.id "
    "AND r.state IN ('pending', 'running', 'delivering')) "
    "FROM nodes n ORDER BY n.started_at_ms, n.id";

inline constexpr const char* kAcquireLease =
    "UPDATE runs SET lease_node=?, lease_epoch=lease_epoch+1, lease_expires_ms=? WHERE id=? "
    "RETURNING lease_epoch";

inline constexpr const char* kRenewLease =
    "UPDATE runs SET lease_expires_ms=? WHERE id=? AND lease_node=? AND lease_epoch=? "
    "AND state IN ('pending', 'running', 'delivering')";

// lock_running_counts(): a running run counts against the org of
// connection `?` when its schedule's connection is that one or reaches the
// same Salesforce org (org id, once known), so that two connections to one
// org share its cap. Parameters: connection id twice, then kRunningRuns' now.
inline constexpr const char* kSameOrg =
    "c.id = ? OR (c.org_id <> '' AND c.org_id = (SELECT org_id FROM connections WHERE id = ?))";
// The scratch bytes the runs of kRunningRuns hold (Run::scratch_reserved).
inline constexpr const char* kScratchHeld = "coalesce(sum(r.scratch_reserved), 0) ";
// The runs going on every node: running or delivering, lease unexpired at `?`.
inline constexpr const char* kRunningRuns =
    "FROM runs r JOIN schedules s ON s.id = r.schedule_id "
    "JOIN connections c ON c.id = s.connection_id "
    "WHERE r.state IN ('running', 'delivering') AND r.lease_expires_ms > ?";

// Store::put_api_usage() and list_api_usage(): both engines.
inline constexpr const char* kPutApiUsage =
    "INSERT INTO api_usage (org, used, api_limit, seen_at_ms) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (org) DO UPDATE SET used = excluded.used, api_limit = excluded.api_limit, "
    "seen_at_ms = excluded.seen_at_ms WHERE excluded.seen_at_ms > api_usage.seen_at_ms";
inline constexpr const char* kListApiUsage =
    "SELECT org, used, api_limit, seen_at_ms FROM api_usage ORDER BY org";

inline constexpr const char* kLeaseColumns =
    "id, schedule_id, nominal_s, lease_epoch, lease_expires_ms";

// " AND id NOT IN (1, 2)" for take_over()'s `except`, or "": numbers
// formatted here, never text from outside.
inline std::string except_ids(const std::vector<std::int64_t>& ids) {
  if (ids.empty()) return {};
  std::string out = " AND id NOT IN (";
  for (std::size_t i = 0; i < ids.size(); ++i) out += (i ? ", " : "") + std::to_string(ids[i]);
  return out + ")";
}

// take_over()'s statement: parameters node, expires_at_ms, now_ms, limit.
// `lock` is PostgreSQL's " FOR UPDATE SKIP LOCKED", or "" for SQLite.
inline std::string take_over_sql(const std::vector<std::int64_t>& except, const char* lock) {
  return std::string("UPDATE runs SET lease_node=?, lease_epoch=lease_epoch+1, lease_expires_ms=? "
                     "WHERE id IN (SELECT id FROM runs WHERE ") +
         kUnfinished + " AND lease_expires_ms < ?" + except_ids(except) + " ORDER BY id LIMIT ?" +
         lock + ") RETURNING " + kLeaseColumns;
}

template <class Row>
Node read_node(const Row& q) {
  Node n;
  n.id = q.text(0);
  n.host = q.text(1);
  n.pid = q.int64(2);
  n.started_at_ms = q.int64(3);
  n.heartbeat_at_ms = q.int64(4);
  n.status = q.text(5);
  n.runs_held = q.int64(6);
  return n;
}

template <class Row>
Lease read_lease(const Row& q) {
  return Lease{q.int64(0), q.int64(1), q.int64(2), q.int64(3), q.int64(4)};
}

template <class Params>
void bind_node(Params& q, const Node& n) {
  q.bind(1, n.id).bind(2, n.host).bind(3, n.pid).bind(4, n.started_at_ms);
  q.bind(5, n.heartbeat_at_ms).bind(6, n.status);
}

// next_expiry()'s statement: parameters now_ms twice, node. Both engines.
// Overdue (before now_ms) as take_over() compares, then upcoming.
inline std::string next_expiry_sql(const std::vector<std::int64_t>& except) {
  return std::string(
             "SELECT min(CASE WHEN lease_expires_ms < ? THEN lease_expires_ms END), "
             "min(CASE WHEN lease_expires_ms >= ? THEN lease_expires_ms END) FROM runs WHERE ") +
         kUnfinished + " AND lease_node <> ?" + except_ids(except);
}

}  // namespace reportd::store
