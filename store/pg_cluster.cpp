// PgStore: what keeps several nodes from doing one thing twice besides
// leases: one sync per connection (a session advisory lock), and runs
// admitted under the cluster-wide caps (a transaction advisory lock and a
// count of the runs going on every node).
#include "store/lease_sql.hpp"
#include "store/pg_store.hpp"

namespace reportd::store {
namespace {

// Advisory lock keys: "rprt" (pg_migrate.cpp) and two more of its family.
// A connection's sync lock is kSyncLocks + its id (ids are never reused).
constexpr std::int64_t kSyncLocks = std::int64_t{1920102005} << 32;
constexpr const char* kAdmission = "SELECT pg_try_advisory_xact_lock(1920102006)";

}  // namespace

Result<bool> PgStore::begin_sync(std::int64_t connection_id, std::int64_t synced_after_ms) {
  auto locked = conn_.exec("SELECT pg_try_advisory_lock(?::bigint)",
                           PgParams().bind(1, kSyncLocks + connection_id), "take the sync lock");
  if (!locked.ok()) return locked.status();
  if (locked->int64(0, 0) == 0) return false;
  auto last = get_sync_state(connection_id);
  if (!last.ok()) {
    (void)end_sync(connection_id);
    return last.status();
  }
  if (*last && (*last)->synced_at_ms > synced_after_ms) {
    if (Status st = end_sync(connection_id); !st.ok()) return st;
    return false;
  }
  return true;
}

Status PgStore::end_sync(std::int64_t connection_id) {
  return done(conn_.exec("SELECT pg_advisory_unlock(?::bigint)",
                         PgParams().bind(1, kSyncLocks + connection_id), "free the sync lock"));
}

Result<std::optional<RunningCounts>> PgStore::lock_running_counts(std::int64_t connection_id,
                                                                  std::int64_t now_ms) {
  auto locked = conn_.exec(kAdmission, "take the admission lock");
  if (!locked.ok()) return locked.status();
  if (locked->int64(0, 0) == 0) return std::optional<RunningCounts>();
  auto r = conn_.exec(
      std::string("SELECT count(*) FILTER (WHERE ") + kSameOrg + "), count(*), " +
          kScratchHeld + kRunningRuns,
      PgParams().bind(1, connection_id).bind(2, connection_id).bind(3, now_ms),
      "count running runs");
  if (!r.ok()) return r.status();
  return std::optional<RunningCounts>(
      RunningCounts{r->int64(0, 0), r->int64(0, 1), r->int64(0, 2)});
}

Status PgStore::put_api_usage(const OrgApiUsage& u) {
  PgParams p;
  p.bind(1, u.org).bind(2, u.used).bind(3, u.limit).bind(4, u.seen_at_ms);
  return done(conn_.exec(kPutApiUsage, p, "record the org's API usage"));
}

Result<std::vector<OrgApiUsage>> PgStore::list_api_usage() {
  return query<OrgApiUsage>(kListApiUsage, {}, "read the orgs' API usage", [](const PgRow& row) {
    return OrgApiUsage{row.text(0), row.int64(1), row.int64(2), row.int64(3)};
  });
}

}  // namespace reportd::store
