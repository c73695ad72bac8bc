// The simulated org's saved reports (tabular, summary, matrix over
// Opportunity), run synchronously into Reports API JSON.
#pragma once

#include <optional>
#include <string>

#include "dataset.hpp"
#include "users.hpp"

namespace reportd::sim {

/// The run result JSON of report `id` (factMap, groupings, metadata) as
/// `user` sees it (the private sharing model of users.hpp: only the
/// Opportunities they own, unless View All Data), or nullopt for an unknown id.
std::optional<std::string> run_report(const Dataset& data, const std::string& id, bool details,
                                      const std::string& version, const SimUser& user);

}  // namespace reportd::sim
