#pragma once
// From a Reportd_Schedule__c record to the local schedule it asks for, with
// every field checked (DESIGN.md §4.7). The checks are jobs/schedule_check's
// and jobs/cron's, the same as for `reportd schedules add`; errors name the
// record's field by its API name ("Recipients__c: ...") so a Salesforce admin
// knows what to fix, and are written back onto the record. Pure; any thread.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "jobs/sync/schedule_record.hpp"
#include "store/records.hpp"
#include "table/status.hpp"

namespace reportd::sync {

// What a record does not say, from the operator's config ([defaults]).
struct MappingDefaults {
  std::string time_zone = "UTC";  // when Time_Zone__c is empty
  std::int64_t catchup_seconds = 6 * 3600;
  std::int64_t min_interval_seconds = 300;
};

// Formats__c ("CSV;XLSX") as reportd's lower-case names, in order, without
// duplicates. Unknown names are kept (the check rejects them by name).
std::vector<std::string> split_formats(std::string_view text);

// The local name of a synced schedule: "<connection>/<Name>", or with
// " (<Id>)" appended when `with_id` (another schedule has the plain name).
// Control characters become spaces, an empty Name becomes the Id, and the
// Name is cut (at a UTF-8 character boundary) to keep the whole within 80
// bytes, the limit for schedule names.
std::string synced_name(std::string_view connection, std::string_view record_name,
                        std::string_view record_id, bool with_id);

// The schedule `record` asks for on `connection`, named
// synced_name(connection, Name, Id, false) (the caller may rename it), or an
// error (kInvalidArgument) naming the field and what to write instead.
// `allowed_domains` as jobs::allowed_domains(): a synced schedule needs a
// non-empty list, and every recipient in it. Recipients__c is split by
// deliver::split_recipients(). Does not look at Active__c or IsDeleted.
Result<store::Schedule> schedule_from_record(const ScheduleRecord& record,
                                             const store::Connection& connection,
                                             const std::vector<std::string>& allowed_domains,
                                             const MappingDefaults& defaults);

// True when `a` and `b` ask for the same thing: every field a record sets,
// the name and the defaults applied. Ignores ids, creation time and the
// operator's pause.
bool same_definition(const store::Schedule& a, const store::Schedule& b);

}  // namespace reportd::sync
