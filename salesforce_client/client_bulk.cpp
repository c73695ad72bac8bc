// Bulk API 2.0 query: create the job, poll it with backoff until
// JobComplete, then fetch results chunk by chunk (maxRecords bounds each
// body) following Sforce-Locator until it says "null". Every chunk repeats
// the CSV header, which is checked against the first one and skipped.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "salesforce_client/client.hpp"
#include "salesforce_client/csv_parser.hpp"
#include "salesforce_client/error.hpp"
#include "salesforce_client/inflate.hpp"
#include "salesforce_client/page_guard.hpp"
#include "salesforce_client/soql_fields.hpp"

namespace reportd::salesforce {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

Result<json::object> parse_object(const std::string& body, std::string_view what) {
  json::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object())
    return Status::error(ErrorKind::kTransient,
                         "salesforce: " + std::string(what) + ": response is not a JSON object",
                         "bad-response");
  return std::move(v.get_object());
}

std::string field(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// Feeds CSV records to the sink: the first header of the job becomes the
// table header; each later chunk's header is skipped.
class BulkCsvSink {
 public:
  BulkCsvSink(table::RowSink& sink, std::string table_name)
      : sink_(sink), name_(std::move(table_name)) {}

  void new_chunk() { expect_header_ = true; }
  bool begun() const { return begun_; }
  std::uint64_t rows() const { return rows_; }

  Status record(std::span<const std::string_view> fields) {
    if (expect_header_) {
      expect_header_ = false;
      if (!begun_) {
        table::TableHeader h;
        h.name = name_;
        for (auto f : fields)
          h.columns.push_back({std::string(f), std::string(f), table::CellType::kString});
        width_ = fields.size();
        begun_ = true;
        cells_.resize(width_);
        return sink_.begin(h);
      }
      if (fields.size() != width_)
        return Status::error(ErrorKind::kTransient,
                             "salesforce: Bulk API results: chunk header differs", "bad-csv");
      return {};
    }
    if (fields.size() != width_)
      return Status::error(ErrorKind::kTransient,
                           "salesforce: Bulk API results: a row has " +
                               std::to_string(fields.size()) + " fields, expected " +
                               std::to_string(width_),
                           "bad-csv");
    // Bulk CSV cannot tell null from empty; both are null cells.
    for (std::size_t i = 0; i < width_; ++i)
      cells_[i] = fields[i].empty() ? table::Cell::null() : table::Cell::string(fields[i]);
    ++rows_;
    return sink_.row(cells_);
  }

 private:
  table::RowSink& sink_;
  std::string name_;
  bool expect_header_ = true;
  bool begun_ = false;
  std::size_t width_ = 0;
  std::uint64_t rows_ = 0;
  std::vector<table::Cell> cells_;
};

// Feeds one results chunk to the CSV parser; a gzip body is inflated into
// it piece by piece. The parser's or the sink's errors are returned as is.
Status feed_chunk(const HttpResponse& res, std::size_t max_bytes, const std::string& target,
                  CsvParser& csv) {
  if (!res.compressed) return csv.feed(res.body);
  Status fed;
  Status s = gunzip_each(res.body, max_bytes, [&csv, &fed](std::string_view piece) {
    fed = csv.feed(piece);
    return fed;
  });
  if (!fed.ok()) return fed;
  return std::move(s).with_context("salesforce: GET " + std::string(path_of(target)));
}

}  // namespace

asio::awaitable<Status> Client::bulk_query(std::string soql, table::RowSink& sink) {
  const std::string jobs = data_path() + "/jobs/query";
  json::object create{{"operation", "query"},
                      {"query", soql},
                      {"contentType", "CSV"},
                      {"columnDelimiter", "COMMA"},
                      {"lineEnding", "LF"}};
  Result<HttpResponse> res =
      co_await call("POST", jobs, "application/json", json::serialize(create));
  if (!res) co_return std::move(res).status();
  auto job = parse_object(res.value().body, "create Bulk API query job");
  if (!job) co_return std::move(job).status();
  const std::string id = field(job.value(), "id");
  if (id.empty() || id.find_first_of("/?#%") != std::string::npos)
    co_return Status::error(ErrorKind::kTransient, "salesforce: Bulk API job has no id",
                            "bad-response");

  // Poll with backoff.
  asio::steady_timer timer(executor_);
  auto delay = options_.bulk_poll_initial;
  const auto give_up = std::chrono::steady_clock::now() + options_.bulk_timeout;
  for (;;) {
    res = co_await call("GET", jobs + "/" + id);
    if (!res) co_return std::move(res).status();
    auto info = parse_object(res.value().body, "Bulk API job status");
    if (!info) co_return std::move(info).status();
    const std::string state = field(info.value(), "state");
    if (state == "JobComplete") break;
    if (state == "Failed" || state == "Aborted") {
      std::string why = one_line(field(info.value(), "errorMessage"), 300);
      co_return Status::error(ErrorKind::kPermanent,
                              "salesforce: Bulk API query job " + id + " " + state +
                                  (why.empty() ? std::string() : ": " + why),
                              "BULK_JOB_" + state);
    }
    if (std::chrono::steady_clock::now() + delay > give_up)
      co_return Status::error(ErrorKind::kTransient,
                              "salesforce: Bulk API query job " + id + " not complete after " +
                                  std::to_string(options_.bulk_timeout.count() / 1000) + " s",
                              "bulk-timeout");
    timer.expires_after(delay);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    delay = std::min(options_.bulk_poll_max, delay * 3 / 2);
  }

  // Results, chunk by chunk.
  BulkCsvSink rows(sink, from_object(soql));
  CsvParser csv([&rows](std::span<const std::string_view> f) { return rows.record(f); });
  std::string locator;
  PageGuard guard("Bulk result locator", options_.max_pages);
  for (;;) {
    std::string target =
        jobs + "/" + id + "/results?maxRecords=" + std::to_string(options_.bulk_max_records);
    if (!locator.empty()) target += "&locator=" + url_encode(locator);
    if (!locator.empty()) {
      if (Status s = co_await pace(sink); !s.ok()) co_return s;
    }
    // A chunk (20,000 rows by default, about 4 MB of CSV) is inflated piece
    // by piece into the CSV parser: only its compressed body is held whole.
    res = co_await call("GET", target, {}, {}, "text/csv", {}, /*inflate=*/false);
    if (!res) co_return std::move(res).status();
    csv.reset();
    rows.new_chunk();
    if (Status s = feed_chunk(res.value(), options_.transport.max_response_bytes, target, csv);
        !s.ok())
      co_return s;
    if (Status s = csv.finish(); !s.ok()) co_return s;
    locator = std::string(res.value().header("Sforce-Locator"));
    wipe_and_free(res.value().body);
    if (locator.empty() || locator == "null") break;
    if (Status s = guard.follow(locator); !s.ok()) co_return s;
  }
  if (!rows.begun())
    co_return Status::error(ErrorKind::kTransient, "salesforce: Bulk API results have no header",
                            "bad-csv");
  table::TableFooter footer;
  footer.rows = rows.rows();
  co_return sink.end(footer);
}

}  // namespace reportd::salesforce
