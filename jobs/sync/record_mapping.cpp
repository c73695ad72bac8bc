#include "jobs/sync/record_mapping.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

#include "jobs/cron.hpp"
#include "jobs/deliver/recipients.hpp"
#include "jobs/next_fire.hpp"
#include "jobs/schedule_check.hpp"

namespace reportd::sync {
namespace {

constexpr std::size_t kMaxName = 80;  // jobs::check_schedule's limit

Status invalid(std::string_view field, std::string_view message) {
  return Status::error(ErrorKind::kInvalidArgument,
                       std::string(field) + ": " + std::string(message));
}

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::string trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  return s;
}

// Splits on any of `seps`, trimming items and dropping empty ones.
std::vector<std::string> split_any(std::string_view text, std::string_view seps) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || seps.find(text[i]) != std::string_view::npos) {
      std::string item = trim(text.substr(start, i - start));
      if (!item.empty()) out.push_back(std::move(item));
      start = i + 1;
    }
  }
  return out;
}

// Minimum_Rows__c is Number(18, 0): "5", "5.0" and "" (null) are fine.
Result<std::int64_t> parse_rows(std::string_view text) {
  std::string t = trim(text);
  if (t.empty()) return std::int64_t{0};
  std::string_view v = t;
  bool negative = !v.empty() && v.front() == '-';
  if (negative) v.remove_prefix(1);
  std::size_t dot = v.find('.');
  std::string_view whole = v.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view{} : v.substr(dot + 1);
  bool digits =
      !whole.empty() && whole.size() <= 18 &&
      std::all_of(whole.begin(), whole.end(), [](char c) { return c >= '0' && c <= '9'; });
  bool zero_frac = std::all_of(frac.begin(), frac.end(), [](char c) { return c == '0'; });
  if (!digits || !zero_frac) {
    return invalid("Minimum_Rows__c", "must be a whole number of rows (0 or more), not " + t);
  }
  std::int64_t n = 0;
  for (char c : whole) n = n * 10 + (c - '0');
  return negative ? -n : n;
}

// check_schedule() names its fields as the CLI's options; a Salesforce admin
// knows them by API name.
std::string with_api_name(const Status& st, const std::string& schedule_name) {
  static const std::pair<std::string_view, std::string_view> kNames[] = {
      {"name", "Name"},
      {"soql", "Query__c"},
      {"report", "Report_Id__c"},
      {"formats", "Formats__c"},
      {"recipients", "Recipients__c"},
      {"subject", "Subject__c"},
      {"min_rows", "Minimum_Rows__c"},
      {"when", "Send_When__c"},
      {"files_target", "Files_Target_Id__c"},
      {"burst", "Burst__c"},
  };
  const std::string& m = st.message();
  for (const auto& [cli, api] : kNames) {
    if (m.size() > cli.size() + 1 && m.compare(0, cli.size(), cli) == 0 &&
        m.compare(cli.size(), 2, ": ") == 0) {
      return std::string(api) + m.substr(cli.size());
    }
  }
  // make_spec(): "schedule `NAME`: cron `...` fires 60 s apart, ..." (the
  // cron and zone were checked before, so only the minimum interval is left).
  const std::string prefix = "schedule `" + schedule_name + "`: ";
  if (m.rfind(prefix, 0) == 0) return "Cron__c: " + m.substr(prefix.size());
  return m;
}

}  // namespace

std::vector<std::string> split_formats(std::string_view text) {
  std::vector<std::string> out;
  for (std::string& f : split_any(text, ";,")) {
    std::string l = lower(std::move(f));
    if (std::find(out.begin(), out.end(), l) == out.end()) out.push_back(std::move(l));
  }
  return out;
}

std::string synced_name(std::string_view connection, std::string_view record_name,
                        std::string_view record_id, bool with_id) {
  std::string part(record_name);
  for (char& c : part) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = ' ';
  }
  part = trim(part);
  if (part.empty()) part = std::string(record_id);
  std::string suffix = with_id ? " (" + std::string(record_id) + ")" : "";
  std::size_t fixed = connection.size() + 1 + suffix.size();
  std::size_t room = fixed < kMaxName ? kMaxName - fixed : 0;
  if (part.size() > room) {
    std::size_t cut = room;
    // Never cut inside a UTF-8 sequence: back up to the lead byte.
    while (cut > 0 && (static_cast<unsigned char>(part[cut]) & 0xC0) == 0x80) --cut;
    part.resize(cut);
    part = trim(part);
  }
  return std::string(connection) + "/" + part + suffix;
}

// Source_Type__c with Query__c or Report_Id__c into s.source_kind and s.source.
static Status apply_source(const ScheduleRecord& r, store::Schedule& s) {
  std::string type = lower(trim(r.source_type));
  std::string query = trim(r.query);
  std::string report = trim(r.report_id);
  if (type.empty()) {
    // Not set: what the record holds decides, when only one source is there.
    if (!query.empty() && report.empty()) type = "soql";
    if (query.empty() && !report.empty()) type = "report";
  }
  if (type == "soql") {
    s.source_kind = store::SourceKind::kSoql;
    s.source = query;
  } else if (type == "report") {
    s.source_kind = store::SourceKind::kReport;
    s.source = report;
  } else if (type.empty()) {
    return invalid("Source_Type__c",
                   "is empty; choose SOQL (and fill Query__c) or Report (and fill Report_Id__c)");
  } else {
    return invalid("Source_Type__c",
                   "\"" + trim(r.source_type) + "\" is not a source; choose SOQL or Report");
  }
  return Status();
}

Result<store::Schedule> schedule_from_record(const ScheduleRecord& r, const store::Connection& c,
                                             const std::vector<std::string>& allowed_domains,
                                             const MappingDefaults& d) {
  store::Schedule s;
  s.name = synced_name(c.name, r.name, r.id, false);
  s.connection_id = c.id;
  s.origin = store::ScheduleOrigin::kSalesforce;
  s.sf_record_id = r.id;
  s.owner_email = trim(r.owner_email);
  s.owner_username = trim(r.owner_username);
  // Integration is refused at run time unless the operator allows it for
  // this org (jobs/run_as.hpp); anything else runs as the owner.
  s.run_as.kind = trim(r.run_as) == "Integration" ? store::RunAsKind::kIntegration
                                                  : store::RunAsKind::kOwner;
  s.catchup_seconds = d.catchup_seconds;
  s.min_interval_seconds = d.min_interval_seconds;

  s.cron = trim(r.cron);
  if (s.cron.empty()) {
    return invalid("Cron__c", "is empty; give 5 or 6 cron fields such as \"0 8 * * 1-5\"");
  }
  if (auto cron = jobs::parse_cron(s.cron); !cron.ok()) {
    return invalid("Cron__c", cron.status().message());
  }
  s.tz = trim(r.time_zone);
  if (s.tz.empty()) s.tz = d.time_zone;
  if (auto zone = jobs::find_zone(s.tz); !zone.ok()) {
    return invalid("Time_Zone__c", zone.status().message());
  }

  if (Status source = apply_source(r, s); !source.ok()) return source;

  s.formats = split_formats(r.formats);
  auto recipients = deliver::split_recipients(r.recipients);
  if (!recipients.ok()) return invalid("Recipients__c", recipients.status().message());
  s.recipients = std::move(recipients).value();
  if (allowed_domains.empty()) {
    // What the customer reads on the record: the operator's fix is theirs.
    return invalid("Recipients__c",
                   "no recipient domains are allowed for this org yet, so reportd sends "
                   "nothing for it; ask your reportd operator to allow the domains your "
                   "reports go to");
  }
  s.subject = trim(r.subject);
  s.body = r.body;
  s.send_when_empty = r.send_when_empty;
  const std::string when = lower(trim(r.send_when));
  auto send_when = when.empty() ? store::SendWhen::kAlways : store::send_when_from(when);
  if (!send_when) {
    return invalid("Send_When__c", "\"" + when + "\" is not a condition; use always or changed");
  }
  s.send_when = *send_when;
  auto rows = parse_rows(r.minimum_rows);
  if (!rows.ok()) return rows.status();
  s.min_rows = *rows;
  s.files_target = trim(r.files_target_id);
  s.burst = r.burst;

  if (Status st = jobs::check_schedule(s, deliver::DomainPolicy{allowed_domains, true}); !st.ok()) {
    return Status::error(ErrorKind::kInvalidArgument, with_api_name(st, s.name));
  }
  return s;
}

bool same_definition(const store::Schedule& a, const store::Schedule& b) {
  return a.name == b.name && a.connection_id == b.connection_id && a.origin == b.origin &&
         a.sf_record_id == b.sf_record_id && a.cron == b.cron && a.tz == b.tz &&
         a.source_kind == b.source_kind && a.source == b.source && a.formats == b.formats &&
         a.recipients == b.recipients && a.subject == b.subject && a.body == b.body &&
         a.send_when_empty == b.send_when_empty && a.min_rows == b.min_rows &&
         a.send_when == b.send_when &&
         a.files_target == b.files_target && a.owner_email == b.owner_email &&
         a.owner_username == b.owner_username && a.run_as == b.run_as && a.burst == b.burst &&
         a.catchup_seconds == b.catchup_seconds &&
         a.min_interval_seconds == b.min_interval_seconds && a.overlap == b.overlap &&
         a.splay_seconds == b.splay_seconds;
}

}  // namespace reportd::sync
