#pragma once
// The API-budget guard (DESIGN.md §4.3) as the sync and the write-back apply
// it: while an org's Sforce-Limit-Info usage is at or above the operator's
// percentage, reportd spends no calls that can wait. Pure.

#include <optional>

#include "salesforce_client/api.hpp"

namespace reportd::sync {

inline bool over_api_budget(const std::optional<salesforce::ApiUsage>& usage, int percent) {
  return usage && usage->limit > 0 && usage->used * 100 >= usage->limit * percent;
}

}  // namespace reportd::sync
