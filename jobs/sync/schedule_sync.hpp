#pragma once
// ScheduleSync: brings one connection's synced schedules in step with the
// Reportd_Schedule__c records of its org (DESIGN.md §4.7). Incremental: one
// queryAll of the records whose SystemModstamp is at or after the stored
// cursor (deleted ones come back with IsDeleted), so a sync that finds
// nothing new costs one GET. Then the store changes (plan_sync()), then one
// PATCH per record whose status must change. Lives on the event loop's
// executor; the store is reached through the store thread.

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "jobs/api_provider.hpp"
#include "jobs/clock.hpp"
#include "jobs/failure_notices.hpp"
#include "jobs/schedule_check.hpp"
#include "store/store_thread.hpp"
#include "jobs/sync/record_mapping.hpp"
#include "jobs/sync/schedule_record.hpp"
#include "jobs/sync/sync_plan.hpp"
#include "table/status.hpp"

namespace reportd::sync {

struct SyncOptions {
  MappingDefaults defaults;
  // The config's recipient domain lists (jobs::allowed_domains()).
  jobs::DomainRules domains;
  // Status PATCHes wait while the org's API usage is at or above this (the
  // run pipeline's guard); the records are read again at the next sync.
  int api_budget_percent = 90;
  // sync.max_schedules_per_connection (PlanContext::max_schedules); 0: no
  // cap. One sync reads at most ten times as many records; past that it
  // fails ("too-large") and changes nothing.
  std::size_t max_schedules = 1000;
};

struct SyncReport {
  std::size_t records = 0;  // records read
  int added = 0, updated = 0, removed = 0, unchanged = 0;
  int invalid = 0, inactive = 0, deleted = 0;
  int patched = 0;  // status PATCHes written
  int held = 0;     // status PATCHes not written (API budget, or an error): retried next sync
  bool full = false;
  std::string cursor;  // where the next sync starts
  // Records found invalid for a new reason (record id, reason); one read
  // again with its reason already on it counts in `invalid` only.
  std::vector<std::pair<std::string, std::string>> invalid_records;
  std::vector<Status> errors;  // what did not apply; those records are read again next time
  // What the operator should pass on to the org's admin, e.g. the object
  // lacks Burst__c; told once per connection by one ScheduleSync.
  std::vector<std::string> warnings;
  bool changed() const { return added + updated + removed > 0; }
};

class ScheduleSync {
 public:
  ScheduleSync(store::StoreThread& store, jobs::ApiProvider& apis, jobs::Clock& clock,
               SyncOptions options);

  // Applies a reloaded config from the next sync on.
  void set_options(SyncOptions options) { options_ = std::move(options); }

  // Where the re-auth notice goes when a sync finds a grant revoked (null:
  // no notice). Must outlive the sync.
  void set_notices(jobs::FailureNotices* notices) { notices_ = notices; }

  // One sync of `connection`. `full` ignores the cursor: every record is
  // read, and synced schedules whose record is gone for good are removed.
  // Fails when the records cannot be read, changing nothing; the outcome is
  // recorded in the store's sync state either way. An authorization error
  // (invalid_grant) marks the connection needs-reauth as a run does (one
  // token request, no retry), sends the re-auth notice, and fails with a
  // kAuth error that says how to connect the org again.
  boost::asio::awaitable<Result<SyncReport>> sync(store::Connection connection, bool full);

 private:
  boost::asio::awaitable<Status> record(std::int64_t connection_id, std::string cursor,
                                        std::string error);
  // Marks `connection` needs-reauth for `why` (kAuth), drops its client and
  // sends the notice; returns `why` with what to do added.
  boost::asio::awaitable<Status> revoked(store::Connection connection, Status why);
  // The read of the schedule records failed with `read`: says what to do,
  // marks a revoked grant, records the failure (the cursor stays).
  boost::asio::awaitable<Status> read_failed(store::Connection connection, std::string cursor, Status read);
  // Reads the records changed at or after `cursor` into `sink`. An org
  // whose object lacks Burst__c (refuses_field()) is read again without it:
  // none of its schedules bursts, and `report.warnings` says what the admin
  // should do, the first time for this connection.
  boost::asio::awaitable<Status> read_records(const store::Connection& connection, salesforce::Api& sf,
                                              const std::string& cursor,
                                              std::unique_ptr<RecordSink>& sink, SyncReport& report);
  // Writes each planned status back to its record while the org's API
  // budget allows, stopping at an authorization error. Counts what was
  // written and held in `report` and adds the modstamps held to `held`.
  // Returns how many were held for the API budget.
  boost::asio::awaitable<int> write_statuses(store::Connection connection, salesforce::Api& sf,
                                             const std::vector<StatusPatch>& patches, SyncReport& report,
                                             std::vector<std::string>& held);

  store::StoreThread& store_;
  jobs::ApiProvider& apis_;
  jobs::Clock& clock_;
  SyncOptions options_;
  jobs::FailureNotices* notices_ = nullptr;
  std::set<std::int64_t> told_lacks_burst_;  // connections warned that Burst__c is missing
};

}  // namespace reportd::sync
