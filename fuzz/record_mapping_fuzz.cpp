// record_mapping_fuzz: a synced Reportd_Schedule__c record to a local
// schedule (sync::schedule_from_record, with split_formats, synced_name and
// normalise_modstamp) on arbitrary field values. The input is the record's
// fields separated by 0x1f bytes, in the order of the list below.
// Properties: no crash; a refusal is kInvalidArgument and names a field
// (`...__c` or Name); an accepted record's schedule is named within 80
// bytes, has recipients, and its cron and zone are the record's or the
// defaults; a modstamp is normalised to the fixed form or to nothing.
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_check.hpp"
#include "jobs/sync/record_mapping.hpp"

namespace {

namespace sync = reportd::sync;

std::vector<std::string> split(std::string_view s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '\x1f') {
      out.emplace_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> f = split(std::string_view(reinterpret_cast<const char*>(data), size));
  f.resize(15);
  sync::ScheduleRecord r;
  r.active = true;
  r.send_when_empty = !f[14].empty();
  std::string sync::ScheduleRecord::*const fields[] = {
      &sync::ScheduleRecord::id,         &sync::ScheduleRecord::name,
      &sync::ScheduleRecord::cron,       &sync::ScheduleRecord::time_zone,
      &sync::ScheduleRecord::source_type, &sync::ScheduleRecord::query,
      &sync::ScheduleRecord::report_id,  &sync::ScheduleRecord::formats,
      &sync::ScheduleRecord::recipients, &sync::ScheduleRecord::subject,
      &sync::ScheduleRecord::body,       &sync::ScheduleRecord::minimum_rows,
      &sync::ScheduleRecord::files_target_id, &sync::ScheduleRecord::owner_email};
  for (std::size_t i = 0; i < std::size(fields); ++i) r.*fields[i] = f[i];
  reportd::store::Connection c;
  c.id = 7;
  c.name = "acme";
  const std::vector<std::string> domains{"example.com", "acme.com"};
  auto s = sync::schedule_from_record(r, c, domains, sync::MappingDefaults{});
  if (!s.ok()) {
    FUZZ_CHECK(s.status().kind() == reportd::ErrorKind::kInvalidArgument);
    const std::string& m = s.status().message();
    FUZZ_CHECK(m.find("__c") != std::string::npos || m.find("Name") != std::string::npos);
  } else {
    FUZZ_CHECK(s->name.size() <= 80);
    FUZZ_CHECK(!s->recipients.empty() || !s->files_target.empty());
    FUZZ_CHECK(s->connection_id == c.id);
  }
  // Record ids from Salesforce are 18 characters; the name fits 80 bytes then.
  const std::string id18 = (r.id + std::string(18, '0')).substr(0, 18);
  FUZZ_CHECK(sync::synced_name(c.name, r.name, id18, true).size() <= 80);
  const std::string stamp = sync::normalise_modstamp(f[9]);
  FUZZ_CHECK(stamp.empty() || (stamp.size() == 20 && stamp[10] == 'T' && stamp[19] == 'Z'));
  (void)sync::split_formats(f[7]);
  return 0;
}
