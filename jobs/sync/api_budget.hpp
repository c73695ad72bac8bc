#pragma once
// The API-budget guard (DESIGN.md §4.3) as the sync and the write-back apply
// it: while an org's Sforce-Limit-Info usage is at or above the operator's
// percentage, reportd spends no calls that can wait. Pure.

#include "jobs/run_policy.hpp"

namespace reportd::sync {

using jobs::over_api_budget;  // one test for runs, the sync and the write-back

}  // namespace reportd::sync
