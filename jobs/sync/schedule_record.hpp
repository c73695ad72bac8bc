#pragma once
// ScheduleRecord: one Reportd_Schedule__c record as the sync reads it
// (DESIGN.md §4.7), and RecordSink, the RowSink that collects them from a
// query. A record holds schedule configuration that a customer typed (cron,
// SOQL text, addresses), never values of their business records. Plain
// values; no executor.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "table/status.hpp"
#include "table/table.hpp"

namespace reportd::sync {

// The custom object `salesforce/` ships; API names are fixed.
inline constexpr const char* kScheduleObject = "Reportd_Schedule__c";
// Fields newer than the object: an org that has not deployed salesforce/
// again lacks them, and Salesforce refuses a request naming one.
inline constexpr const char* kBurstField = "Burst__c";

struct ScheduleRecord {
  std::string id;  // 18-character record id
  std::string name;
  bool deleted = false;  // IsDeleted: in the recycle bin (queryAll only)
  bool active = false;
  std::string cron;
  std::string time_zone;
  std::string source_type;  // "SOQL" | "Report"
  std::string query;
  std::string report_id;
  std::string formats;     // multi-select picklist, "CSV;XLSX"
  std::string recipients;  // separated by commas, semicolons or line breaks
  std::string subject;
  std::string body;
  bool send_when_empty = false;
  std::string send_when;     // picklist "Always" | "Changed"; empty: Always
  std::string minimum_rows;  // the number as Salesforce sent it ("5", "5.0"); empty: null
  std::string files_target_id;
  std::string owner_email;  // Owner.Email
  std::string owner_username;  // Owner.Username: whom the runs act as (DESIGN.md §4.9)
  std::string run_as;          // picklist "Owner" | "Integration"; empty: Owner
  bool burst = false;          // Burst__c: each recipient gets the report run as themselves
  // What reportd last wrote back, to write a status only when it changes.
  std::string last_status;
  std::string last_error;
  std::string next_run;
  std::string modstamp;  // SystemModstamp, normalised to "2024-01-31T12:00:00Z"
};

// The SOQL that reads every field above. With `since` (a normalised
// modstamp) only records changed at or after it; ">=" because
// SystemModstamp has whole seconds, so a record changed later in the same
// second as the cursor is not lost (re-reading the boundary is harmless).
// Ordered by SystemModstamp, then Id. Run it with queryAll, so deleted
// records come back with IsDeleted = true. `without` names a field to leave
// out (one the org lacks: refuses_field()); its member keeps its default.
std::string schedule_query(std::string_view since, std::string_view without = {});

// Whether Salesforce refused a request because the org has no `field` on
// the object (INVALID_FIELD naming it): the object was deployed before the
// field existed. The caller sends the request again without the field.
bool refuses_field(const Status& st, std::string_view field);

// "2024-01-31T12:00:00Z" for a Salesforce datetime ("…T12:00:00.000+0000",
// "…Z", "…+01:00"), or empty when `text` is not one.
std::string normalise_modstamp(std::string_view text);

// Collects the records of schedule_query() from its columns, by name.
class RecordSink final : public table::RowSink {
 public:
  // `max_records` 0: no cap; else the record past it fails the read
  // ("too-large", kPermanent), so one org cannot fill the daemon's memory.
  explicit RecordSink(std::size_t max_records = 0) : max_records_(max_records) {}
  Status begin(const table::TableHeader& header) override;
  Status row(std::span<const table::Cell> cells) override;
  Status end(const table::TableFooter& footer) override;

  std::vector<ScheduleRecord>& records() { return records_; }

 private:
  std::vector<int> field_of_column_;  // index into the field list, -1: not ours
  std::vector<ScheduleRecord> records_;
  std::size_t max_records_;
};

}  // namespace reportd::sync
