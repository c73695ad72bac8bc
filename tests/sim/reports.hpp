// The simulated org's saved reports (tabular, summary, matrix over
// Opportunity), run synchronously into Reports API JSON.
#pragma once

#include <optional>
#include <string>

#include "dataset.hpp"

namespace reportd::sim {

/// The run result JSON of report `id` (factMap, groupings, metadata), or
/// nullopt for an unknown id.
std::optional<std::string> run_report(const Dataset& data, const std::string& id, bool details,
                                      const std::string& version);

}  // namespace reportd::sim
