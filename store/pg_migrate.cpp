// pg_migrate(): PostgreSQL's twin of migrate() (store/migrations.cpp).
#include "store/migrations.hpp"
#include "store/pg_store.hpp"

namespace reportd::store {
namespace {

// Taken by every migration transaction (pg_advisory_xact_lock): "rprt".
constexpr const char* kLock = "SELECT pg_advisory_xact_lock(1920102004)";

constexpr const char* kMeta = R"sql(
CREATE TABLE IF NOT EXISTS reportd_meta (
  id             INTEGER PRIMARY KEY CHECK (id = 1),
  schema_version INTEGER NOT NULL,  -- the last migration applied
  changes        BIGINT NOT NULL    -- bumped by writes to connections and schedules
);
INSERT INTO reportd_meta (id, schema_version, changes) VALUES (1, 0, 0)
  ON CONFLICT (id) DO NOTHING;
)sql";

Result<int> read_version(PgConn& conn) {
  auto r = conn.exec("SELECT schema_version FROM reportd_meta WHERE id = 1", "read schema version");
  if (!r.ok()) return r.status();
  if (r->rows() != 1)
    return Status::error(ErrorKind::kCorrupt, "reportd_meta has no row; restore a backup");
  return static_cast<int>(r->int64(0, 0));
}

Status too_new(int current) {
  return Status::error(ErrorKind::kInvalidArgument,
                       "database schema is version " + std::to_string(current) +
                           " but this reportd knows only up to " +
                           std::to_string(schema_version()) + "; run a newer reportd");
}

// Runs migration `v` + 1 unless another process did while this one waited
// for the lock. Returns the version the database is at afterwards.
Result<int> migrate_one(PgConn& conn, int v) {
  PgTransaction tx(conn);
  if (Status st = tx.begin(); !st.ok()) return st;
  if (auto r = conn.exec(kLock, "lock for migration"); !r.ok()) return r.status();
  auto current = read_version(conn);
  if (!current.ok()) return current;
  if (*current > v) {
    if (Status st = tx.commit(); !st.ok()) return st;
    return *current;
  }
  const std::string what = "migration " + std::to_string(v + 1);
  if (Status st = conn.exec_script(pg_migration_sql(v), what); !st.ok()) return st;
  PgParams p;
  p.bind(1, std::int64_t{v + 1});
  if (auto r = conn.exec("UPDATE reportd_meta SET schema_version = ? WHERE id = 1", p, what);
      !r.ok()) {
    return r.status();
  }
  if (Status st = tx.commit(); !st.ok()) return st;
  return v + 1;
}

}  // namespace

Status pg_migrate(PgConn& conn) {
  {
    PgTransaction tx(conn);
    if (Status st = tx.begin(); !st.ok()) return st;
    if (auto r = conn.exec(kLock, "lock for migration"); !r.ok()) return r.status();
    if (Status st = conn.exec_script(kMeta, "create reportd_meta"); !st.ok()) return st;
    if (Status st = tx.commit(); !st.ok()) return st;
  }
  auto current = read_version(conn);
  if (!current.ok()) return current.status();
  if (*current > schema_version()) return too_new(*current);
  for (int v = *current; v < schema_version();) {
    auto next = migrate_one(conn, v);
    if (!next.ok()) return next.status();
    if (*next > schema_version()) return too_new(*next);
    v = *next;
  }
  return {};
}

}  // namespace reportd::store
