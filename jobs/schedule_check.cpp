#include "jobs/schedule_check.hpp"

#include <algorithm>
#include <cctype>

#include "jobs/deliver/mime.hpp"
#include "jobs/schedule_spec.hpp"

namespace reportd::jobs {
namespace {

Status invalid(std::string field, std::string message) {
  return Status::error(ErrorKind::kInvalidArgument, field + ": " + message);
}

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

}  // namespace

bool is_salesforce_id(std::string_view id, std::string_view prefix) {
  if (id.size() != 15 && id.size() != 18) return false;
  if (!prefix.empty() && id.substr(0, prefix.size()) != prefix) return false;
  return std::all_of(id.begin(), id.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; });
}

std::vector<std::string> allowed_domains(const store::Connection& c, const DomainRules& rules) {
  std::vector<std::string> all = c.allowed_domains;
  if (auto it = rules.per_connection.find(c.name); it != rules.per_connection.end()) {
    all.insert(all.end(), it->second.begin(), it->second.end());
  }
  if (all.empty()) all = rules.defaults;
  std::vector<std::string> out;
  for (const std::string& d : all) {
    std::string l = deliver::domain_of("@" + d);
    if (!l.empty() && std::find(out.begin(), out.end(), l) == out.end()) out.push_back(l);
  }
  return out;
}

deliver::DomainPolicy domain_policy(const store::Schedule& s, const store::Connection& c,
                                    const DomainRules& rules) {
  return deliver::DomainPolicy{allowed_domains(c, rules), s.origin == store::ScheduleOrigin::kSalesforce};
}

Status check_schedule(const store::Schedule& s, const deliver::DomainPolicy& domains) {
  if (s.name.empty() || s.name.size() > 80 || has_control(s.name)) {
    return invalid("name", "must be 1-80 printable characters");
  }
  if (auto spec = make_spec(s); !spec.ok()) return spec.status();

  switch (s.source_kind) {
    case store::SourceKind::kSoql:
    case store::SourceKind::kBulk: {
      std::string head = s.source.substr(0, std::min<std::size_t>(s.source.size(), 7));
      std::transform(head.begin(), head.end(), head.begin(), [](char c) {
        return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      });
      if (s.source.empty()) return invalid("soql", "is empty; give a SELECT query");
      // Any white space may follow SELECT: a query typed over several lines.
      if (head.size() == 7 && std::isspace(static_cast<unsigned char>(head[6])) != 0) head[6] = ' ';
      if (head != "SELECT ") {
        return invalid("soql", "must be a SELECT query, e.g. \"SELECT Id, Name FROM Account\"");
      }
      break;
    }
    case store::SourceKind::kReport:
      if (!is_salesforce_id(s.source, "00O")) {
        return invalid("report", "\"" + s.source +
                                     "\" is not a report id; a report id is 15 or 18 "
                                     "characters starting with 00O (copy it from the report's URL)");
      }
      break;
  }

  if (s.formats.empty()) return invalid("formats", "name at least one of csv, xlsx, pdf, html");
  for (const std::string& f : s.formats) {
    if (std::find(std::begin(kFormats), std::end(kFormats), f) == std::end(kFormats)) {
      return invalid("formats", "\"" + f + "\" is not a format; use csv, xlsx, pdf or html");
    }
  }

  if (s.recipients.empty() && s.files_target.empty()) {
    return invalid("recipients", "name at least one address (or a Files target record)");
  }
  for (const std::string& r : s.recipients) {
    if (Status st = deliver::validate_address(r); !st.ok()) {
      return invalid("recipients", "\"" + r + "\": " + st.message());
    }
    if (Status st = deliver::check_recipient(r, domains); !st.ok()) {
      return Status::error(ErrorKind::kInvalidArgument, "recipients: " + st.message(), st.code());
    }
  }
  if (has_control(s.subject)) {
    return invalid("subject", "must not contain line breaks or control characters");
  }
  if (s.min_rows < 0) return invalid("min_rows", "must be 0 or more");
  if (!s.files_target.empty() && !is_salesforce_id(s.files_target)) {
    return invalid("files_target", "\"" + s.files_target +
                                       "\" is not a record id (15 or 18 letters and digits)");
  }
  // A burst sends each recipient their own view: one upload or one hash of
  // "the" rows would mix the views.
  if (s.burst && !s.files_target.empty()) {
    return invalid("burst", "sends each recipient their own report; remove the Files target");
  }
  if (s.burst && s.send_when == store::SendWhen::kChanged) {
    return invalid("burst", "sends each recipient their own report; use the send condition always");
  }
  return {};
}

}  // namespace reportd::jobs
