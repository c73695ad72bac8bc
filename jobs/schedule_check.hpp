#pragma once
// Checks every field of a schedule before it is stored or scheduled, whether
// it comes from the CLI or from a Salesforce record (DESIGN.md §4.7). Each
// error names the field, the offending text and what to write instead.
// Pure; any thread.

#include <map>
#include <string>
#include <vector>

#include "jobs/deliver/recipients.hpp"
#include "store/records.hpp"
#include "table/status.hpp"

namespace reportd::jobs {

inline constexpr const char* kFormats[] = {"csv", "xlsx", "pdf", "html"};

// `domains`: what the schedule's recipients may be (domain_policy()).
Status check_schedule(const store::Schedule& schedule, const deliver::DomainPolicy& domains);

// The operator's recipient domain lists from the config.
struct DomainRules {
  // [connections.NAME] allowed_domains, added to that connection's own list.
  std::map<std::string, std::vector<std::string>> per_connection;
  // [defaults] allowed_domains: the list of a connection that has none of
  // its own (neither `connections set --allowed-domains` nor the config's).
  std::vector<std::string> defaults;
};

// The recipient domains allowed for a connection: its own list
// (`connections add/set --allowed-domains`) plus the config's
// `[connections.NAME] allowed_domains`; when both are empty, the config's
// `[defaults] allowed_domains`. Lower-case, each once.
std::vector<std::string> allowed_domains(const store::Connection& connection,
                                         const DomainRules& rules);

// What `schedule` may mail: allowed_domains(), required for schedules synced
// from Salesforce (an empty list allows nothing), optional for local ones.
deliver::DomainPolicy domain_policy(const store::Schedule& schedule,
                                    const store::Connection& connection, const DomainRules& rules);

// Salesforce ids: 15 or 18 alphanumerics, optionally with a key prefix.
bool is_salesforce_id(std::string_view id, std::string_view prefix = {});

}  // namespace reportd::jobs
