// Turns a parsed query into a cursor over row indices and walks it page by
// page. A cursor holds the query and a resume hint, never the rows (an
// ORDER BY over written records keeps their sorted indices: those objects
// are small).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "dataset.hpp"
#include "soql.hpp"

namespace reportd::sim {

struct Cursor {
  Query query;
  bool include_deleted = false;
  std::uint64_t begin = 0, end = 0;  // candidate row range
  bool filtered = false;             // rows in range must also pass query.where
  std::uint64_t total = 0;           // rows the query returns (after OFFSET/LIMIT)
  std::uint64_t page_size = 2000;
  std::uint64_t hint_offset = 0, hint_row = 0;  // resume point of a filtered scan
  std::vector<std::uint64_t> order;  // stored objects with ORDER BY: matching rows, sorted
  bool ordered = false;              // `order` is the result (before OFFSET/LIMIT)
};

/// Plans q: narrows by Id/IsDeleted, counts matches (one scan when other
/// conditions exist), sorts stored objects by ORDER BY, applies OFFSET and
/// LIMIT. `query` on a stored object leaves out its deleted records.
Cursor plan_query(const Dataset& data, const Query& q, bool include_deleted);

/// Calls fn(row) for the result rows [offset, offset+n) of the cursor, in
/// order; returns how many it produced. Updates the resume hint.
std::uint64_t scan_rows(const Dataset& data, Cursor& c, std::uint64_t offset, std::uint64_t n,
                        const std::function<void(std::uint64_t)>& fn);

}  // namespace reportd::sim
