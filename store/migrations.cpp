#include "store/migrations.hpp"

#include "store/migration_api_usage.hpp"
#include "store/migration_burst.hpp"
#include "store/migration_run_as.hpp"
#include "store/migration_scratch.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace reportd::store {
namespace {

// Never edit a migration that has shipped; add a new one.
// No column ever holds record values from Salesforce (DESIGN.md §4.5).
const char* const kMigrations[] = {
    // 1: connections, schedules, runs, the delivery ledger, daemon state.
    R"sql(
CREATE TABLE connections (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL UNIQUE,
  login_url     TEXT NOT NULL,
  client_id     TEXT NOT NULL,
  client_secret BLOB NOT NULL DEFAULT x'',  -- sealed (crypto::Vault), or empty
  org_id        TEXT NOT NULL DEFAULT '',
  instance_url  TEXT NOT NULL DEFAULT '',
  refresh_token BLOB NOT NULL,              -- sealed (crypto::Vault)
  key_id        TEXT NOT NULL,
  status        TEXT NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'needs-reauth')),
  status_reason TEXT NOT NULL DEFAULT '',
  allowed_domains TEXT NOT NULL DEFAULT '',  -- newline-separated
  created_at_ms INTEGER NOT NULL
);
CREATE TABLE schedules (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL UNIQUE,
  connection_id INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
  origin        TEXT NOT NULL DEFAULT 'local' CHECK (origin IN ('local', 'salesforce')),
  sf_record_id  TEXT NOT NULL DEFAULT '',
  cron          TEXT NOT NULL,
  tz            TEXT NOT NULL,
  source_kind   TEXT NOT NULL CHECK (source_kind IN ('soql', 'report', 'bulk')),
  source        TEXT NOT NULL,
  formats       TEXT NOT NULL,  -- comma-separated
  recipients    TEXT NOT NULL,  -- newline-separated
  subject       TEXT NOT NULL DEFAULT '',
  send_when_empty INTEGER NOT NULL DEFAULT 0,
  min_rows      INTEGER NOT NULL DEFAULT 0,
  files_target  TEXT NOT NULL DEFAULT '',
  paused        INTEGER NOT NULL DEFAULT 0,
  pause_reason  TEXT NOT NULL DEFAULT '',
  catchup_seconds INTEGER NOT NULL DEFAULT 21600,
  overlap       TEXT NOT NULL DEFAULT 'skip' CHECK (overlap IN ('skip', 'queue')),
  splay_seconds INTEGER NOT NULL DEFAULT 0,
  min_interval_seconds INTEGER NOT NULL DEFAULT 300,
  created_at_ms INTEGER NOT NULL
);
CREATE INDEX schedules_connection ON schedules(connection_id);
CREATE TABLE runs (
  id            INTEGER PRIMARY KEY,
  schedule_id   INTEGER NOT NULL REFERENCES schedules(id) ON DELETE CASCADE,
  nominal_s     INTEGER NOT NULL,
  state         TEXT NOT NULL,
  reason        TEXT NOT NULL DEFAULT '',
  error_code    TEXT NOT NULL DEFAULT '',
  attempt       INTEGER NOT NULL DEFAULT 0,
  claimed_at_ms INTEGER NOT NULL,
  started_at_ms INTEGER NOT NULL DEFAULT 0,
  finished_at_ms INTEGER NOT NULL DEFAULT 0,
  disposed_at_ms INTEGER NOT NULL DEFAULT 0,
  rows          INTEGER NOT NULL DEFAULT 0,
  bytes         INTEGER NOT NULL DEFAULT 0,
  truncated     INTEGER NOT NULL DEFAULT 0,
  UNIQUE (schedule_id, nominal_s)
);
CREATE INDEX runs_state ON runs(state);
CREATE TABLE deliveries (
  id            INTEGER PRIMARY KEY,
  run_id        INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  channel       TEXT NOT NULL,
  recipient     TEXT NOT NULL,
  state         TEXT NOT NULL,
  message_id    TEXT NOT NULL DEFAULT '',
  content_document_id TEXT NOT NULL DEFAULT '',
  error         TEXT NOT NULL DEFAULT '',
  updated_at_ms INTEGER NOT NULL,
  UNIQUE (run_id, channel, recipient)
);
CREATE TABLE daemon_state (
  id            INTEGER PRIMARY KEY CHECK (id = 1),
  pid           INTEGER NOT NULL,
  started_at_ms INTEGER NOT NULL,
  heartbeat_at_ms INTEGER NOT NULL,
  version       TEXT NOT NULL,
  status        TEXT NOT NULL
);
)sql",
    // 2: schedule owners and bodies, per-connection sync cursors (DESIGN.md
    // §4.7), pending OAuth authorizations (web-server flow with PKCE).
    R"sql(
ALTER TABLE schedules ADD COLUMN owner_email TEXT NOT NULL DEFAULT '';
ALTER TABLE schedules ADD COLUMN body TEXT NOT NULL DEFAULT '';
CREATE TABLE sync_state (
  connection_id INTEGER PRIMARY KEY REFERENCES connections(id) ON DELETE CASCADE,
  modstamp      TEXT NOT NULL DEFAULT '',  -- newest SystemModstamp seen (ISO 8601, UTC)
  synced_at_ms  INTEGER NOT NULL DEFAULT 0,
  error         TEXT NOT NULL DEFAULT ''
);
CREATE TABLE pending_authorizations (
  state         TEXT PRIMARY KEY,           -- the OAuth state parameter, random
  name          TEXT NOT NULL,              -- the connection to create
  login_url     TEXT NOT NULL,
  client_id     TEXT NOT NULL,
  redirect_uri  TEXT NOT NULL,
  sealed_secrets BLOB NOT NULL,             -- PKCE verifier and client secret, sealed
  key_id        TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  outcome       TEXT NOT NULL DEFAULT ''    -- '' while pending, then 'ok' or the error
);
)sql",
    // 3: identity is never reused (issue #12). The credential generation of a
    // connection; connections, schedules and runs are then rebuilt with
    // AUTOINCREMENT and the status 'org-mismatch' (kRebuilds below).
    R"sql(
ALTER TABLE connections ADD COLUMN generation INTEGER NOT NULL DEFAULT 1;
)sql",
    // 4: send only when changed (issue #17): the schedule's condition and, per
    // schedule, the keyed hash of the rows last sent. Never the rows.
    R"sql(
ALTER TABLE schedules ADD COLUMN send_when TEXT NOT NULL DEFAULT 'always';
CREATE TABLE change_hashes (
  schedule_id   INTEGER PRIMARY KEY REFERENCES schedules(id) ON DELETE CASCADE,
  hash          BLOB NOT NULL,   -- keyed BLAKE2b-256 (jobs/change_hash.hpp)
  updated_at_ms INTEGER NOT NULL
);
)sql",
    // 5: the nodes and each run's lease (store/leases.hpp); existing runs
    // start unleased and expired, so a node takes them over as recovery did.
    R"sql(
CREATE TABLE nodes (id TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL,
  started_at_ms INTEGER NOT NULL, heartbeat_at_ms INTEGER NOT NULL, status TEXT NOT NULL);
ALTER TABLE runs ADD COLUMN lease_node TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN lease_epoch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN lease_expires_ms INTEGER NOT NULL DEFAULT 0;
CREATE INDEX runs_lease ON runs(lease_node);
)sql",
    kRunAsSqlite,  // 6: run as: store/migration_run_as.hpp.
    kBurstSql, kApiUsageSql, kScratchSql,  // 7-9: store/migration_*.hpp.
};

// The same migrations for PostgreSQL, numbered alike: entry N makes the
// same change as kMigrations[N] in PostgreSQL's dialect (BIGINT for
// INTEGER, BYTEA for BLOB, BOOLEAN for the 0/1 flags). Ids come from
// identity columns, which never hand out a number twice, so migration 3
// needs no rebuild here; it widens the status check by name. The schema
// version and the change counter behind data_version() live in
// reportd_meta (pg_migrate() creates it first; SQLite: the file header).
const char* const kPgMigrations[] = {
    // 1: connections, schedules, runs, the delivery ledger, daemon state.
    R"sql(
CREATE TABLE connections (
  id            BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  name          TEXT NOT NULL UNIQUE,
  login_url     TEXT NOT NULL,
  client_id     TEXT NOT NULL,
  client_secret BYTEA NOT NULL DEFAULT ''::bytea,  -- sealed (crypto::Vault), or empty
  org_id        TEXT NOT NULL DEFAULT '',
  instance_url  TEXT NOT NULL DEFAULT '',
  refresh_token BYTEA NOT NULL,                    -- sealed (crypto::Vault)
  key_id        TEXT NOT NULL,
  status        TEXT NOT NULL DEFAULT 'ok'
                CONSTRAINT connections_status_check CHECK (status IN ('ok', 'needs-reauth')),
  status_reason TEXT NOT NULL DEFAULT '',
  allowed_domains TEXT NOT NULL DEFAULT '',  -- newline-separated
  created_at_ms BIGINT NOT NULL
);
CREATE TABLE schedules (
  id            BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  name          TEXT NOT NULL UNIQUE,
  connection_id BIGINT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
  origin        TEXT NOT NULL DEFAULT 'local' CHECK (origin IN ('local', 'salesforce')),
  sf_record_id  TEXT NOT NULL DEFAULT '',
  cron          TEXT NOT NULL,
  tz            TEXT NOT NULL,
  source_kind   TEXT NOT NULL CHECK (source_kind IN ('soql', 'report', 'bulk')),
  source        TEXT NOT NULL,
  formats       TEXT NOT NULL,  -- comma-separated
  recipients    TEXT NOT NULL,  -- newline-separated
  subject       TEXT NOT NULL DEFAULT '',
  send_when_empty BOOLEAN NOT NULL DEFAULT false,
  min_rows      BIGINT NOT NULL DEFAULT 0,
  files_target  TEXT NOT NULL DEFAULT '',
  paused        BOOLEAN NOT NULL DEFAULT false,
  pause_reason  TEXT NOT NULL DEFAULT '',
  catchup_seconds BIGINT NOT NULL DEFAULT 21600,
  overlap       TEXT NOT NULL DEFAULT 'skip' CHECK (overlap IN ('skip', 'queue')),
  splay_seconds BIGINT NOT NULL DEFAULT 0,
  min_interval_seconds BIGINT NOT NULL DEFAULT 300,
  created_at_ms BIGINT NOT NULL
);
CREATE INDEX schedules_connection ON schedules(connection_id);
CREATE TABLE runs (
  id            BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  schedule_id   BIGINT NOT NULL REFERENCES schedules(id) ON DELETE CASCADE,
  nominal_s     BIGINT NOT NULL,
  state         TEXT NOT NULL,
  reason        TEXT NOT NULL DEFAULT '',
  error_code    TEXT NOT NULL DEFAULT '',
  attempt       BIGINT NOT NULL DEFAULT 0,
  claimed_at_ms BIGINT NOT NULL,
  started_at_ms BIGINT NOT NULL DEFAULT 0,
  finished_at_ms BIGINT NOT NULL DEFAULT 0,
  disposed_at_ms BIGINT NOT NULL DEFAULT 0,
  rows          BIGINT NOT NULL DEFAULT 0,
  bytes         BIGINT NOT NULL DEFAULT 0,
  truncated     BOOLEAN NOT NULL DEFAULT false,
  UNIQUE (schedule_id, nominal_s)
);
CREATE INDEX runs_state ON runs(state);
CREATE TABLE deliveries (
  id            BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  run_id        BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  channel       TEXT NOT NULL,
  recipient     TEXT NOT NULL,
  state         TEXT NOT NULL,
  message_id    TEXT NOT NULL DEFAULT '',
  content_document_id TEXT NOT NULL DEFAULT '',
  error         TEXT NOT NULL DEFAULT '',
  updated_at_ms BIGINT NOT NULL,
  UNIQUE (run_id, channel, recipient)
);
CREATE TABLE daemon_state (
  id            INTEGER PRIMARY KEY CHECK (id = 1),
  pid           BIGINT NOT NULL,
  started_at_ms BIGINT NOT NULL,
  heartbeat_at_ms BIGINT NOT NULL,
  version       TEXT NOT NULL,
  status        TEXT NOT NULL
);
)sql",
    // 2: schedule owners and bodies, per-connection sync cursors, pending
    // OAuth authorizations.
    R"sql(
ALTER TABLE schedules ADD COLUMN owner_email TEXT NOT NULL DEFAULT '';
ALTER TABLE schedules ADD COLUMN body TEXT NOT NULL DEFAULT '';
CREATE TABLE sync_state (
  connection_id BIGINT PRIMARY KEY REFERENCES connections(id) ON DELETE CASCADE,
  modstamp      TEXT NOT NULL DEFAULT '',
  synced_at_ms  BIGINT NOT NULL DEFAULT 0,
  error         TEXT NOT NULL DEFAULT ''
);
CREATE TABLE pending_authorizations (
  state         TEXT PRIMARY KEY,
  name          TEXT NOT NULL,
  login_url     TEXT NOT NULL,
  client_id     TEXT NOT NULL,
  redirect_uri  TEXT NOT NULL,
  sealed_secrets BYTEA NOT NULL,
  key_id        TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  expires_at_ms BIGINT NOT NULL,
  outcome       TEXT NOT NULL DEFAULT ''
);
)sql",
    // 3: the credential generation of a connection and the status
    // 'org-mismatch'.
    R"sql(
ALTER TABLE connections ADD COLUMN generation BIGINT NOT NULL DEFAULT 1;
ALTER TABLE connections DROP CONSTRAINT connections_status_check,
  ADD CONSTRAINT connections_status_check
  CHECK (status IN ('ok', 'needs-reauth', 'org-mismatch'));
)sql",
    // 4: send only when changed: the schedule's condition and, per schedule,
    // the keyed hash of the rows last sent.
    R"sql(
ALTER TABLE schedules ADD COLUMN send_when TEXT NOT NULL DEFAULT 'always';
CREATE TABLE change_hashes (
  schedule_id   BIGINT PRIMARY KEY REFERENCES schedules(id) ON DELETE CASCADE,
  hash          BYTEA NOT NULL,
  updated_at_ms BIGINT NOT NULL
);
)sql",
    // 5: the nodes, and the lease on each run.
    R"sql(
CREATE TABLE nodes (id TEXT PRIMARY KEY, host TEXT NOT NULL, pid BIGINT NOT NULL,
  started_at_ms BIGINT NOT NULL, heartbeat_at_ms BIGINT NOT NULL, status TEXT NOT NULL);
ALTER TABLE runs ADD COLUMN lease_node TEXT NOT NULL DEFAULT '',
  ADD COLUMN lease_epoch BIGINT NOT NULL DEFAULT 0, ADD COLUMN lease_expires_ms BIGINT NOT NULL DEFAULT 0;
CREATE INDEX runs_lease ON runs(lease_node);
)sql",
    kRunAsPg,  // 6: run as: store/migration_run_as.hpp.
    kBurstSql, kApiUsageSql, kScratchSql,  // 7-9: store/migration_*.hpp.
};

static_assert(sizeof kPgMigrations == sizeof kMigrations,
              "every migration needs its PostgreSQL twin in kPgMigrations, numbered alike");

// Ids are never reused: without AUTOINCREMENT SQLite hands out max(id)+1, so
// removing the newest connection or schedule frees its id for the next one,
// and whatever still holds the old id (a cached Salesforce client, a late
// run's write-back, a run row a late run saves) would act on the new tenant's
// row. AUTOINCREMENT rather than a generation column alone: an id is then
// a complete identity everywhere it is already used (run rows, Message-IDs,
// logs), with nothing to compare beside it. It needs a table rebuild, which
// SQL cannot express without copying each table's definition, so the
// rebuild rewrites the definition SQLite stores (it holds every column added
// since) and copies the rows. The connection's `generation` covers the one
// change an id cannot show: its credential replaced in place (re-authorized).
struct Rebuild {
  int version;            // runs after this migration's SQL, in its transaction
  const char* table;
  const char* old_check;  // replaced by new_check, when not null
  const char* new_check;
};
const Rebuild kRebuilds[] = {
    {3, "connections", "CHECK (status IN ('ok', 'needs-reauth'))",
     "CHECK (status IN ('ok', 'needs-reauth', 'org-mismatch'))"},
    {3, "schedules", nullptr, nullptr},
    {3, "runs", nullptr, nullptr},
};
constexpr int kVersion = static_cast<int>(sizeof kMigrations / sizeof kMigrations[0]);

Status replace_once(std::string& sql, std::string_view from, std::string_view to,
                    const std::string& what) {
  std::size_t at = sql.find(from);
  if (at == std::string::npos) {
    return Status::error(ErrorKind::kCorrupt, what + ": the table's definition has no \"" +
                                                  std::string(from) + "\"; restore a backup");
  }
  sql.replace(at, from.size(), to);
  return {};
}

std::vector<std::string> read_sql(Db& db, const char* type, std::string_view table) {
  Stmt q(db, "SELECT sql FROM sqlite_master WHERE type = ? AND tbl_name = ? AND sql IS NOT NULL");
  q.bind(1, std::string_view(type)).bind(2, table);
  std::vector<std::string> out;
  while (q.step()) out.push_back(q.text(0));
  return out;
}

// Creates `<table>_rebuild` from the stored definition with AUTOINCREMENT,
// copies every row (ids kept), swaps it in and recreates the indexes.
// Foreign keys are off (see migrate()), so dropping the old table cascades
// nothing.
Status rebuild(Db& db, const Rebuild& r) {
  const std::string table = r.table;
  const std::string what = "migration " + std::to_string(r.version) + ": rebuild " + table;
  std::vector<std::string> defs = read_sql(db, "table", table);
  if (defs.size() != 1) return Status::error(ErrorKind::kCorrupt, what + ": no such table");
  std::string sql = defs.front();
  const std::string rebuilt = table + "_rebuild";
  std::size_t open = sql.find('(');
  if (open == std::string::npos) return Status::error(ErrorKind::kCorrupt, what);
  sql = "CREATE TABLE " + rebuilt + " " + sql.substr(open);
  if (sql.find("AUTOINCREMENT") == std::string::npos) {
    if (Status st = replace_once(sql, "INTEGER PRIMARY KEY", "INTEGER PRIMARY KEY AUTOINCREMENT",
                                 what);
        !st.ok()) {
      return st;
    }
  }
  if (r.old_check != nullptr) {
    if (Status st = replace_once(sql, r.old_check, r.new_check, what); !st.ok()) return st;
  }
  std::vector<std::string> indexes = read_sql(db, "index", table);
  const std::string steps = sql + ";\nINSERT INTO " + rebuilt + " SELECT * FROM " + table +
                            ";\nDROP TABLE " + table + ";\nALTER TABLE " + rebuilt +
                            " RENAME TO " + table + ";\n";
  if (Status st = db.exec(steps.c_str(), what); !st.ok()) return st;
  for (const std::string& index : indexes) {
    if (Status st = db.exec(index.c_str(), what + " index"); !st.ok()) return st;
  }
  return {};
}

Status check_foreign_keys(Db& db, const std::string& what) {
  Stmt q(db, "PRAGMA foreign_key_check");
  if (q.step()) {
    return Status::error(ErrorKind::kCorrupt,
                         what + ": a row of " + q.text(0) + " refers to a missing " + q.text(2) +
                             " row; restore a backup");
  }
  return q.status(what);
}

Status migrate_one(Db& db, int v) {
  Transaction tx(db);
  if (Status st = tx.begin(); !st.ok()) return st;
  // Another process (the CLI and the daemon opening a new file at once) may
  // have run it while this one waited for the write lock.
  {
    Stmt q(db, "PRAGMA user_version");
    if (q.step() && q.int64(0) > v) return tx.commit();
  }
  std::string what = "migration " + std::to_string(v + 1);
  if (Status st = db.exec(kMigrations[v], what); !st.ok()) return st;
  for (const Rebuild& r : kRebuilds) {
    if (r.version != v + 1) continue;
    if (Status st = rebuild(db, r); !st.ok()) return st;
  }
  if (Status st = check_foreign_keys(db, what); !st.ok()) return st;
  std::string bump = "PRAGMA user_version = " + std::to_string(v + 1);
  if (Status st = db.exec(bump.c_str(), what); !st.ok()) return st;
  return tx.commit();
}

}  // namespace

int schema_version() { return kVersion; }
const char* pg_migration_sql(int index) { return kPgMigrations[index]; }
Status migrate(Db& db) { return migrate_to(db, kVersion); }

Status migrate_to(Db& db, int target) {
  if (target > kVersion) target = kVersion;
  int current = 0;
  {
    Stmt q(db, "PRAGMA user_version");
    if (q.step()) current = static_cast<int>(q.int64(0));
  }
  if (current > kVersion) {
    return Status::error(ErrorKind::kInvalidArgument,
                         "database schema is version " + std::to_string(current) +
                             " but this reportd knows only up to " + std::to_string(kVersion) +
                             "; run a newer reportd");
  }
  if (current >= target) return {};
  // A rebuild drops a table that others refer to: with foreign keys on, that
  // would cascade-delete their rows. The pragma is a no-op inside a
  // transaction, so it is switched around them; each migration checks the
  // keys itself before it commits.
  bool keys_on = false;
  {
    Stmt q(db, "PRAGMA foreign_keys");
    if (q.step()) keys_on = q.int64(0) != 0;
  }
  if (Status st = db.exec("PRAGMA foreign_keys=OFF", "migrate"); !st.ok()) return st;
  Status result;
  for (int v = current; v < target && result.ok(); ++v) result = migrate_one(db, v);
  if (keys_on) {
    if (Status st = db.exec("PRAGMA foreign_keys=ON", "migrate"); !st.ok() && result.ok()) {
      result = st;
    }
  }
  return result;
}

}  // namespace reportd::store
