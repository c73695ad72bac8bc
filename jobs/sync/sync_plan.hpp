#pragma once
// plan_sync(): what one sync does with the records it read, decided without
// I/O (STYLE.md rule 20): which local schedules to add, change or remove,
// and which statuses to write back onto records. A status is written only
// when the record does not already show it, so the PATCH that bumps a
// record's SystemModstamp does not cause another PATCH when the next sync
// reads the record again. Pure; any thread.

#include <date/date.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "jobs/sync/record_mapping.hpp"
#include "jobs/sync/schedule_record.hpp"
#include "store/records.hpp"

namespace reportd::sync {

// Last_Status__c values reportd writes.
inline constexpr const char* kStatusScheduled = "Scheduled";
inline constexpr const char* kStatusInvalid = "Invalid";
inline constexpr const char* kStatusPaused = "Paused";  // Active__c is off

// Last_Error__c holds at most this many characters of a reason.
inline constexpr std::size_t kMaxErrorChars = 4000;

struct PlanContext {
  store::Connection connection;
  std::vector<std::string> allowed_domains;  // jobs::allowed_domains()
  MappingDefaults defaults;
  date::sys_seconds now;    // Next_Run__c is the first fire after it
  std::int64_t now_ms = 0;  // created_at_ms of new schedules
  bool full = false;        // the records are all there are: other synced schedules go
  std::string cursor;       // the cursor the query used ("" for a full read)
  // Synced schedules the connection may have (sync.max_schedules_per_connection;
  // 0: no cap). A record that would add one past it is refused as Invalid,
  // with the reason written back; it is taken when its record is next read
  // with room under the cap (an edit of it, or a full sync).
  std::size_t max_schedules = 0;
};

// One PATCH onto one record.
struct StatusPatch {
  std::string record_id;
  std::string status;    // the Last_Status__c it writes; empty: only Next_Run__c
  std::string body;      // JSON object
  std::string modstamp;  // the record's SystemModstamp when read
};

struct SyncPlan {
  std::vector<store::Schedule> add;     // id 0
  std::vector<store::Schedule> update;  // by id; keeps the operator's pause
  std::vector<store::Schedule> remove;
  std::vector<StatusPatch> patches;
  // Invalid records whose reason is news (not yet on the record): record
  // id, reason. An invalid record read again with its reason in place counts
  // in `invalid` only.
  std::vector<std::pair<std::string, std::string>> new_invalid;
  int invalid = 0;
  int unchanged = 0;
  int inactive = 0;    // Active__c off (their local schedules, if any, are in `remove`)
  int deleted = 0;     // in the recycle bin
  std::string cursor;  // the newest SystemModstamp read, else ctx.cursor
};

// `records` as read (a record read twice counts once, as last read);
// `synced` the connection's synced schedules; `taken_names` every schedule
// name in the store. Names: "<connection>/<Name>", with " (<Id>)" when the
// plain name belongs to another schedule; a schedule keeps the name it has
// while its record keeps its Name.
SyncPlan plan_sync(const std::vector<ScheduleRecord>& records,
                   const std::vector<store::Schedule>& synced,
                   const std::set<std::string>& taken_names, const PlanContext& ctx);

// "2024-01-31T12:00:00.000Z", the datetime form written to Salesforce.
std::string salesforce_datetime(date::sys_seconds t);

// At most kMaxErrorChars characters of `reason` (cut at a UTF-8 boundary).
std::string error_text(std::string_view reason);

}  // namespace reportd::sync
