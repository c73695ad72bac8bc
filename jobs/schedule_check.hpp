#pragma once
// Checks every field of a schedule before it is stored or scheduled, whether
// it comes from the CLI or from a Salesforce record (DESIGN.md §4.7). Each
// error names the field, the offending text and what to write instead.
// Pure; any thread.

#include <map>
#include <string>
#include <vector>

#include "store/records.hpp"
#include "table/status.hpp"

namespace reportd::jobs {

inline constexpr const char* kFormats[] = {"csv", "xlsx", "html"};

// `allowed_domains`: recipient domains allowed for the schedule's connection
// (the connection's own list plus the config's); empty allows any domain.
Status check_schedule(const store::Schedule& schedule,
                      const std::vector<std::string>& allowed_domains);

// The recipient domains allowed for a connection: its own list
// (`connections add --allowed-domains`) plus the config's
// `[connections.NAME] allowed_domains`. Empty allows any domain.
std::vector<std::string> allowed_domains(
    const store::Connection& connection,
    const std::map<std::string, std::vector<std::string>>& configured);

// Salesforce ids: 15 or 18 alphanumerics, optionally with a key prefix.
bool is_salesforce_id(std::string_view id, std::string_view prefix = {});

// The part after the last '@', lower-cased.
std::string domain_of(std::string_view address);

}  // namespace reportd::jobs
