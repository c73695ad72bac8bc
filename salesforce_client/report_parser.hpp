#pragma once
// Turns a Reports API run result (tabular, summary or matrix, with details)
// into one table on a RowSink: grouping values first (down, then across),
// then the detail columns labelled from detailColumnInfo. allData:false
// becomes TableFooter::truncated. Grouped reports also tell the sink each
// group's start and, from the fact map's aggregates, its subtotal ("0!T",
// "0!1"), a matrix's column totals ("T!1") and the grand total ("T!T"), in
// report order (RowSink::group/subtotal). Pure function; no executor.

#include <string_view>
#include <vector>

#include "salesforce_client/api.hpp"

#include "table/status.hpp"
#include "table/table.hpp"

namespace reportd::salesforce {

// `body` is the JSON of GET /analytics/reports/{id}?includeDetails=true.
// Fails with kPermanent for MULTI_BLOCK (joined) reports and bodies that are
// not report results.
Status emit_report(std::string_view body, table::RowSink& sink);

// The detail columns of GET /analytics/reports/{id}/describe (or of a run
// result): reportMetadata.detailColumns, each with the entityColumnName of
// reportExtendedMetadata.detailColumnInfo (else its label, else the key).
// Report metadata, no record values. Fails with kPermanent ("bad-report")
// for a body without reportMetadata.
Result<std::vector<ReportColumn>> report_detail_columns(std::string_view body);

}  // namespace reportd::salesforce
