#pragma once
// Numbered schema migrations, tracked in PRAGMA user_version. Migration N
// moves the schema from version N-1 to N in one transaction.

#include "store/sqlite_db.hpp"
#include "table/status.hpp"

namespace reportd::store {

// The schema version this build writes.
int schema_version();

// The SQL of PostgreSQL's migration `index` + 1 (0 <= index <
// schema_version()); pg_migrate() runs them. Both engines have the same
// number of migrations (a static_assert holds them to it).
const char* pg_migration_sql(int index);

// Brings `db` up to schema_version(). Refuses a database written by a newer
// reportd instead of guessing.
Status migrate(Db& db);
// Brings `db` up to `version` only, which must not exceed schema_version():
// tests build a database of an older schema with it, then upgrade it.
Status migrate_to(Db& db, int version);

}  // namespace reportd::store
