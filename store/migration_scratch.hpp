#pragma once
// The scratch reservation migration (issue #15), the same SQL for both
// engines; store/migrations.cpp lists it in kMigrations and kPgMigrations as
// migration 9. With several nodes on one store, a run admitted to start
// holds this many bytes of [limits] scratch_budget_bytes (its per-run cap,
// scratch_max_bytes) while it goes on whichever node: the admission of the
// next run counts them (Store::lock_running_counts), so all nodes together
// stay within one budget. 0: none held (one node, or before admission).

namespace reportd::store {

inline constexpr const char* kScratchSql =
    "ALTER TABLE runs ADD COLUMN scratch_reserved BIGINT NOT NULL DEFAULT 0;\n";

}  // namespace reportd::store
