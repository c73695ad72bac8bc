#pragma once
// `reportd store migrate --to postgresql://...`: copies a SQLite store into
// an empty PostgreSQL one. Rows keep their ids (sealed secrets are bound to
// their connection's id, so they are copied as they are, never opened), each
// identity continues after the highest id SQLite ever handed out, and the
// counts of every table are compared before the one transaction commits.

#include <cstdint>
#include <string>
#include <vector>

#include "store/pg_store.hpp"
#include "store/sqlite_store.hpp"

namespace reportd::store {

struct CopiedTable {
  std::string table;
  std::int64_t rows = 0;
};

// Refuses a target that holds any row (kAlreadyExists). Both stores must be
// at the same schema version (open() migrates them).
Result<std::vector<CopiedTable>> copy_to_postgres(SqliteStore& from, PgStore& to);

}  // namespace reportd::store
