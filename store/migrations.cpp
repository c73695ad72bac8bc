#include "store/migrations.hpp"

#include <string>

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
};

constexpr int kVersion = static_cast<int>(sizeof kMigrations / sizeof kMigrations[0]);

}  // namespace

int schema_version() { return kVersion; }

Status migrate(Db& db) {
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
  for (int v = current; v < kVersion; ++v) {
    Transaction tx(db);
    if (Status st = tx.begin(); !st.ok()) return st;
    // Another process opening a new database at the same moment (a CLI
    // command beside a starting daemon) may have migrated since the read
    // above: look again under the write lock.
    bool done = false;
    {
      Stmt again(db, "PRAGMA user_version");
      done = again.step() && again.int64(0) > v;
    }
    if (done) continue;  // rolls back nothing
    std::string what = "migration " + std::to_string(v + 1);
    if (Status st = db.exec(kMigrations[v], what); !st.ok()) return st;
    std::string bump = "PRAGMA user_version = " + std::to_string(v + 1);
    if (Status st = db.exec(bump.c_str(), what); !st.ok()) return st;
    if (Status st = tx.commit(); !st.ok()) return st;
  }
  return {};
}

}  // namespace reportd::store
