#include "jobs/sync/schedule_record.hpp"

#include <date/date.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "salesforce_client/cell_parse.hpp"

namespace reportd::sync {
namespace {

struct FieldSpec {
  const char* name;
  std::string ScheduleRecord::*text;  // or
  bool ScheduleRecord::*flag;
};

// In SELECT order. Owner.Email walks to the owning User.
constexpr std::array<FieldSpec, 25> kFields{{
    {"Id", &ScheduleRecord::id, nullptr},
    {"Name", &ScheduleRecord::name, nullptr},
    {"IsDeleted", nullptr, &ScheduleRecord::deleted},
    {"SystemModstamp", &ScheduleRecord::modstamp, nullptr},
    {"Active__c", nullptr, &ScheduleRecord::active},
    {"Cron__c", &ScheduleRecord::cron, nullptr},
    {"Time_Zone__c", &ScheduleRecord::time_zone, nullptr},
    {"Source_Type__c", &ScheduleRecord::source_type, nullptr},
    {"Query__c", &ScheduleRecord::query, nullptr},
    {"Report_Id__c", &ScheduleRecord::report_id, nullptr},
    {"Formats__c", &ScheduleRecord::formats, nullptr},
    {"Recipients__c", &ScheduleRecord::recipients, nullptr},
    {"Subject__c", &ScheduleRecord::subject, nullptr},
    {"Body__c", &ScheduleRecord::body, nullptr},
    {"Send_When_Empty__c", nullptr, &ScheduleRecord::send_when_empty},
    {"Send_When__c", &ScheduleRecord::send_when, nullptr},
    {"Minimum_Rows__c", &ScheduleRecord::minimum_rows, nullptr},
    {"Files_Target_Id__c", &ScheduleRecord::files_target_id, nullptr},
    {"Owner.Email", &ScheduleRecord::owner_email, nullptr},
    {"Owner.Username", &ScheduleRecord::owner_username, nullptr},
    {"Run_As__c", &ScheduleRecord::run_as, nullptr},
    {"Burst__c", nullptr, &ScheduleRecord::burst},
    {"Last_Status__c", &ScheduleRecord::last_status, nullptr},
    {"Last_Error__c", &ScheduleRecord::last_error, nullptr},
    {"Next_Run__c", &ScheduleRecord::next_run, nullptr},
}};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::string schedule_query(std::string_view since, std::string_view without) {
  std::string q = "SELECT ";
  for (std::size_t i = 0; i < kFields.size(); ++i) {
    if (!without.empty() && iequals(kFields[i].name, without)) continue;
    if (q.size() > 7) q += ", ";  // past "SELECT "
    q += kFields[i].name;
  }
  q += " FROM ";
  q += kScheduleObject;
  if (!since.empty()) {
    q += " WHERE SystemModstamp >= ";
    q += since;  // a SOQL datetime literal is not quoted
  }
  q += " ORDER BY SystemModstamp, Id";
  return q;
}

bool refuses_field(const Status& st, std::string_view field) {
  return !st.ok() && st.code() == "INVALID_FIELD" && st.message().find(field) != std::string::npos;
}

std::string normalise_modstamp(std::string_view text) {
  auto ms = salesforce::parse_datetime(text);
  if (!ms) return {};
  date::sys_seconds t{std::chrono::seconds(*ms / 1000 - (*ms % 1000 < 0 ? 1 : 0))};
  return date::format("%FT%TZ", t);
}

Status RecordSink::begin(const table::TableHeader& header) {
  field_of_column_.assign(header.columns.size(), -1);
  bool has_id = false;
  for (std::size_t c = 0; c < header.columns.size(); ++c) {
    for (std::size_t f = 0; f < kFields.size(); ++f) {
      if (iequals(header.columns[c].name, kFields[f].name)) {
        field_of_column_[c] = static_cast<int>(f);
        has_id = has_id || f == 0;
      }
    }
  }
  if (!has_id) {
    return Status::error(ErrorKind::kInternal, "schedule query: the result has no Id column");
  }
  return {};
}

Status RecordSink::row(std::span<const table::Cell> cells) {
  if (max_records_ != 0 && records_.size() >= max_records_) {
    return Status::error(ErrorKind::kPermanent,
                         "more than " + std::to_string(max_records_) + " " + kScheduleObject +
                             " records to read in one sync (10 x "
                             "sync.max_schedules_per_connection): delete the records the org no "
                             "longer needs, or raise sync.max_schedules_per_connection",
                         "too-large");
  }
  ScheduleRecord r;
  for (std::size_t c = 0; c < cells.size() && c < field_of_column_.size(); ++c) {
    if (field_of_column_[c] < 0) continue;
    const FieldSpec& f = kFields[static_cast<std::size_t>(field_of_column_[c])];
    const table::Cell& cell = cells[c];
    if (f.flag != nullptr) {
      r.*f.flag = cell.type == table::CellType::kBoolean ? cell.boolean : cell.text == "true";
    } else if (cell.type != table::CellType::kNull) {
      r.*f.text = std::string(cell.text);
    }
  }
  r.modstamp = normalise_modstamp(r.modstamp);
  if (!r.id.empty()) records_.push_back(std::move(r));
  return {};
}

Status RecordSink::end(const table::TableFooter&) { return {}; }

}  // namespace reportd::sync
