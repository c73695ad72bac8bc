#pragma once
// The Salesforce API as jobs/ sees it: one object per connected org. The
// real implementation (HTTPS, OAuth refresh, paging) lives in this library;
// tests use fakes. Lives on the event loop's executor; every call is a
// coroutine with its own deadline. Errors are Status values whose kind says
// what to do (kTransient: retry; kAuth: needs re-auth; kPermanent: fail;
// kLimit: back off) and whose code() is the Salesforce errorCode, if any.

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "table/status.hpp"
#include "table/table.hpp"

namespace reportd::salesforce {

// One file to upload as a ContentVersion.
struct FileUpload {
  std::string title;            // ContentVersion.Title
  std::string path_on_client;   // ContentVersion.PathOnClient, e.g. "report.csv"
  std::string content_type;     // MIME type of the bytes
  std::string_view bytes;       // the file; valid until the call completes
  std::string first_publish_location_id;  // record to link it to
};

struct UploadResult {
  std::string content_version_id;
  std::string content_document_id;
};

// A sink that paces a paged source: query() and bulk_query() await
// before_page() before they ask for each page after the first, so the sink
// may wait there (for room in the nodes' shared scratch budget) while no
// data arrives. An error from it ends the query with that error.
class PacedSink : public table::RowSink {
 public:
  virtual boost::asio::awaitable<Status> before_page() = 0;
};

// before_page() of `sink` when it is a PacedSink; ok otherwise.
boost::asio::awaitable<Status> pace(table::RowSink& sink);

// One detail column of a report, as its describe names it.
struct ReportColumn {
  std::string key;    // "DESCRIPTION": the name run_report's header gives it
  std::string field;  // "Opportunity.Description" (entityColumnName), else the column's label
};

// API usage from the last Sforce-Limit-Info header ("api-usage=25/15000").
struct ApiUsage {
  std::int64_t used = 0;
  std::int64_t limit = 0;
};

class Api {
 public:
  virtual ~Api() = default;

  // SOQL via REST, page by page into `sink` (queryAll when `all`).
  virtual boost::asio::awaitable<Status> query(std::string soql, bool all,
                                               table::RowSink& sink) = 0;
  // Runs a report synchronously with details; summary and matrix groupings
  // become leading columns. TableFooter::truncated reports allData:false.
  virtual boost::asio::awaitable<Status> run_report(std::string report_id,
                                                    table::RowSink& sink) = 0;
  // The report's detail columns as this org's user sees them (GET
  // /analytics/reports/{id}/describe). Field-level security leaves out the
  // columns a user cannot see (salesforce-wire.md §4), so the integration
  // user's list is what a report run as another user is checked against.
  // The default knows none (nothing is checked).
  virtual boost::asio::awaitable<Result<std::vector<ReportColumn>>> report_columns(
      std::string report_id) {
    (void)report_id;
    std::vector<ReportColumn> none;
    co_return none;
  }
  // Bulk API 2.0 query job, results streamed by locator.
  virtual boost::asio::awaitable<Status> bulk_query(std::string soql, table::RowSink& sink) = 0;
  // PATCH /sobjects/<sobject>/<id> with a JSON object body.
  virtual boost::asio::awaitable<Status> patch_record(std::string sobject, std::string id,
                                                      std::string json_body) = 0;
  virtual boost::asio::awaitable<Result<UploadResult>> upload_file(FileUpload file) = 0;

  // The latest usage Salesforce reported for this org, if any call was made.
  virtual std::optional<ApiUsage> api_usage() const = 0;
};

}  // namespace reportd::salesforce
