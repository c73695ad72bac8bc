#pragma once
// Parses the Sforce-Limit-Info response header ("api-usage=18/5000;
// per-app-api-usage=17/250(appName=x)"). Pure function; no executor.

#include <optional>
#include <string_view>

#include "salesforce_client/api.hpp"

namespace reportd::salesforce {

// The org-wide api-usage pair, or nullopt when the header has none.
std::optional<ApiUsage> parse_limit_info(std::string_view header);

}  // namespace reportd::salesforce
