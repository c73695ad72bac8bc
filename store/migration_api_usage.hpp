#pragma once
// The shared API usage migration (issue #15), the same SQL for both engines;
// store/migrations.cpp lists it in kMigrations and kPgMigrations as
// migration 8. Each org's API usage as a node last read it from
// Sforce-Limit-Info (Store::put_api_usage), so that every node of a store
// obeys one API budget. `org` is the org id, or "connection:ID" before the
// connection is pinned to one. Counts and times only, no record value.

namespace reportd::store {

inline constexpr const char* kApiUsageSql =
    "CREATE TABLE api_usage (org TEXT PRIMARY KEY, used BIGINT NOT NULL, "
    "api_limit BIGINT NOT NULL, seen_at_ms BIGINT NOT NULL);\n";

}  // namespace reportd::store
