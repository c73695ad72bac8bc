#pragma once
// Turns a Reports API run result (tabular, summary or matrix, with details)
// into one table on a RowSink: grouping values first (down, then across),
// then the detail columns labelled from detailColumnInfo. allData:false
// becomes TableFooter::truncated. Pure function; no executor.

#include <string_view>

#include "table/status.hpp"
#include "table/table.hpp"

namespace reportd::salesforce {

// `body` is the JSON of GET /analytics/reports/{id}?includeDetails=true.
// Fails with kPermanent for MULTI_BLOCK (joined) reports and bodies that are
// not report results.
Status emit_report(std::string_view body, table::RowSink& sink);

}  // namespace reportd::salesforce
