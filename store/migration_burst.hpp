#pragma once
// The burst migration (issue #16), the same SQL for both engines;
// store/migrations.cpp lists it in kMigrations and kPgMigrations as
// migration 7. A schedule may burst: each recipient who is a user of the
// org gets the report run as themselves. Each delivery keeps the rows of
// the report its recipient got and whose access made it (a count and a
// username, never a record value; rows -1: not known). The next sync reads
// every record again to learn Burst__c.

namespace reportd::store {

inline constexpr const char* kBurstSql =
    "ALTER TABLE schedules ADD COLUMN burst BOOLEAN NOT NULL DEFAULT false;\n"
    "ALTER TABLE deliveries ADD COLUMN rows BIGINT NOT NULL DEFAULT -1;\n"
    "ALTER TABLE deliveries ADD COLUMN ran_as TEXT NOT NULL DEFAULT '';\n"
    "UPDATE sync_state SET modstamp = '';\n";

}  // namespace reportd::store
