#pragma once
// The run-as migration (issue #16), for both engines; store/migrations.cpp
// lists it in kMigrations and kPgMigrations as migration 6.
// A connection's JWT bearer configuration (the key sealed like the tokens),
// whose access a schedule's runs use, the record owner's username of a
// synced schedule, and whom each run ran as. Synced schedules run as their
// record owners from then on; the next sync reads every record again to
// learn each owner's username.

namespace reportd::store {

// What both dialects write alike, after each one's connections columns.
#define REPORTD_RUN_AS_COMMON_SQL                                                  \
  "ALTER TABLE connections ADD COLUMN jwt_client_id TEXT NOT NULL DEFAULT '';\n"   \
  "ALTER TABLE connections ADD COLUMN jwt_key_sha256 TEXT NOT NULL DEFAULT '';\n"  \
  "ALTER TABLE connections ADD COLUMN jwt_cert_sha256 TEXT NOT NULL DEFAULT '';\n" \
  "ALTER TABLE schedules ADD COLUMN run_as TEXT NOT NULL DEFAULT 'integration'\n"  \
  "  CHECK (run_as IN ('integration', 'owner') OR (run_as LIKE 'user:_%'));\n"     \
  "ALTER TABLE schedules ADD COLUMN owner_username TEXT NOT NULL DEFAULT '';\n"    \
  "ALTER TABLE runs ADD COLUMN ran_as TEXT NOT NULL DEFAULT '';\n"                 \
  "UPDATE schedules SET run_as = 'owner' WHERE origin = 'salesforce';\n"           \
  "UPDATE sync_state SET modstamp = '';\n"

// The sealed JWT key (crypto::Vault), as each engine stores bytes.
inline constexpr const char* kRunAsSqlite =
    "ALTER TABLE connections ADD COLUMN jwt_key BLOB NOT NULL DEFAULT x'';\n" REPORTD_RUN_AS_COMMON_SQL;
inline constexpr const char* kRunAsPg =
    "ALTER TABLE connections ADD COLUMN jwt_key BYTEA NOT NULL DEFAULT ''::bytea;\n" REPORTD_RUN_AS_COMMON_SQL;

#undef REPORTD_RUN_AS_COMMON_SQL

}  // namespace reportd::store
