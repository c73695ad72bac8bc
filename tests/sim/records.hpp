// REST JSON serialization of generated or stored rows: attributes, the
// selected fields in SELECT order, parent relationships as nested objects
// (null when the parent is null).
#pragma once

#include <string>
#include <vector>

#include "dataset.hpp"

namespace reportd::sim {

/// Appends one record with the given columns (all rooted at obj) to out.
void write_record(std::string& out, const Dataset& data, const std::vector<const FieldPath*>& fields,
                  const ObjectDef& obj, std::uint64_t row, const std::string& version,
                  size_t depth = 0);

/// Appends every field of the row (GET /sobjects/X/id).
void write_full_record(std::string& out, const Dataset& data, const ObjectDef& obj,
                       std::uint64_t row, const std::string& version);

}  // namespace reportd::sim
