// REST plumbing and the REST query / Reports / PATCH calls. Bulk API 2.0 is
// in client_bulk.cpp, ContentVersion upload in client_upload.cpp.
#include "salesforce_client/client.hpp"

#include "salesforce_client/error.hpp"
#include "salesforce_client/limit_info.hpp"
#include "salesforce_client/page_guard.hpp"
#include "salesforce_client/query_page.hpp"
#include "salesforce_client/report_parser.hpp"
#include "salesforce_client/soql_fields.hpp"

namespace reportd::salesforce {
namespace asio = boost::asio;

namespace {

// Salesforce ids are 15 or 18 alphanumerics; object names are API names.
bool is_api_name(std::string_view s) {
  if (s.empty() || s.size() > 80) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

bool session_expired(const HttpResponse& r) {
  // Like simple-salesforce and jsforce's Bulk 2.0: only INVALID_SESSION_ID,
  // and not the "not valid for use with the REST API" scope problem.
  return r.status == 401 && r.body.find("INVALID_SESSION_ID") != std::string::npos &&
         r.body.find("not valid for use with the REST API") == std::string::npos;
}

}  // namespace

asio::awaitable<Status> pace(table::RowSink& sink) {
  auto* paced = dynamic_cast<PacedSink*>(&sink);
  if (paced == nullptr) co_return Status();
  co_return co_await paced->before_page();
}

std::uint64_t max_pages_for_rows(std::uint64_t max_rows) { return max_rows / 200 + 2; }

Result<std::unique_ptr<Client>> Client::create(asio::any_io_executor executor,
                                               ClientOptions options, Credential credential) {
  auto login = parse_https_url(options.login_url);
  if (!login) return std::move(login).status().with_context("salesforce: login_url");
  auto pool = HttpsPool::create(executor, options.transport);
  if (!pool) return std::move(pool).status();
  return std::unique_ptr<Client>(
      new Client(std::move(executor), std::move(options), std::move(pool.value()),
                 std::move(login.value().origin), std::move(credential)));
}

Client::Client(asio::any_io_executor executor, ClientOptions options,
               std::unique_ptr<HttpsPool> pool, Origin login, Credential credential)
    : executor_(std::move(executor)), options_(std::move(options)), pool_(std::move(pool)) {
  session_ = std::make_unique<Session>(executor_, *pool_, std::move(login), std::move(credential),
                                       options_.accept_token);
}

Client::~Client() = default;

asio::awaitable<Result<HttpResponse>> Client::call(std::string method, std::string target,
                                                   std::string content_type, std::string body,
                                                   std::string accept, std::string inflate_into,
                                                   bool inflate) {
  // `body` may be an upload (record values), `inflate_into` the previous
  // page: zeroed on every way out, as the token's copies are (AccessToken,
  // HttpRequest).
  WipeAtExit wipe_body{body};
  WipeAtExit wipe_block{inflate_into};
  Result<AccessToken> token = co_await session_->token();
  if (!token) co_return std::move(token).status();
  if (target.rfind("https://", 0) == 0) {
    auto url = parse_https_url(target);
    if (!url) co_return std::move(url).status().with_context("salesforce: " + method);
    // The bearer token goes to the org's instance only, never to another host.
    if (!(url.value().origin == token.value().instance))
      co_return Status::error(ErrorKind::kPermanent,
                              "salesforce: " + method + ": URL is not on the org's instance",
                              "foreign-url");
    target = url.value().target;
  }
  for (int attempt = 0;; ++attempt) {
    HttpRequest req;
    req.method = method;
    req.origin = token.value().instance;
    req.target = target;
    req.content_type = content_type;
    req.accept = accept;
    req.authorization = token.value().bearer;
    req.body = body;
    req.inflate_into = std::move(inflate_into);  // the first attempt's only
    req.inflate = inflate;
    Result<HttpResponse> res = co_await pool_->request(std::move(req));
    if (!res) co_return std::move(res);
    HttpResponse& r = res.value();
    if (auto usage = parse_limit_info(r.header("Sforce-Limit-Info"))) usage_ = usage;
    if (attempt == 0 && session_expired(r)) {
      token = co_await session_->refresh_after(token.value().generation);
      if (!token) co_return std::move(token).status();
      continue;
    }
    if (r.status >= 300)
      co_return rest_error(r.status, r.content_type, r.body,
                           "salesforce: " + method + " " + std::string(path_of(target)))
          .to_status();
    co_return std::move(res);
  }
}

asio::awaitable<Status> Client::query(std::string soql, bool all, table::RowSink& sink) {
  auto fields = parse_select_list(soql);
  if (!fields) co_return std::move(fields).status();
  QueryPageParser parser(std::move(fields.value()));
  const bool count_only = parser.fields().size() == 1 && parser.fields()[0].path.empty();
  Result<HttpResponse> page =
      co_await call("GET", data_path() + (all ? "/queryAll?q=" : "/query?q=") + url_encode(soql));
  if (!page) co_return std::move(page).status();

  auto types = parser.scan_types(page.value().body);
  if (!types) co_return std::move(types).status();
  table::TableHeader header;
  header.name = from_object(soql);
  for (std::size_t i = 0; i < parser.fields().size(); ++i) {
    const auto& f = parser.fields()[i];
    header.columns.push_back(
        {f.name, f.name, count_only ? table::CellType::kNumber : types.value()[i]});
  }
  if (Status s = sink.begin(header); !s.ok()) co_return s;

  table::TableFooter footer;
  PageGuard guard("nextRecordsUrl", options_.max_pages);
  for (;;) {
    auto info = parser.parse(page.value().body, sink);
    if (!info) co_return std::move(info).status();
    footer.rows += info.value().records;
    if (count_only) {
      const std::string text = std::to_string(info.value().total_size);
      table::Cell cell = table::Cell::num(static_cast<double>(info.value().total_size), text);
      if (Status s = sink.row({&cell, 1}); !s.ok()) co_return s;
      footer.rows = 1;
    }
    if (info.value().done) break;
    // The next page is inflated over this one, in the same block: memory
    // stays at one page, and the block is neither freed nor zeroed per page.
    // It is zeroed wherever it is dropped instead (here, Client::call,
    // HttpRequest, gunzip), and the last page with its HttpResponse.
    std::string block = std::move(page.value().body);
    WipeAtExit wipe_block{block};
    if (Status s = guard.follow(info.value().next_records_url); !s.ok()) co_return s;
    if (Status s = co_await pace(sink); !s.ok()) co_return s;
    page = co_await call("GET", std::move(info.value().next_records_url), {}, {},
                         "application/json", std::move(block));
    if (!page) co_return std::move(page).status();
  }
  co_return sink.end(footer);
}

asio::awaitable<Status> Client::run_report(std::string report_id, table::RowSink& sink) {
  if (!is_api_name(report_id))
    co_return Status::error(ErrorKind::kInvalidArgument,
                            "salesforce: report id must be 15 or 18 letters and digits",
                            "bad-report-id");
  Result<HttpResponse> res = co_await call(
      "GET", data_path() + "/analytics/reports/" + report_id + "?includeDetails=true");
  if (!res) co_return std::move(res).status();
  co_return emit_report(res.value().body, sink);
}

asio::awaitable<Result<std::vector<ReportColumn>>> Client::report_columns(std::string report_id) {
  if (!is_api_name(report_id))
    co_return Status::error(ErrorKind::kInvalidArgument,
                            "salesforce: report id must be 15 or 18 letters and digits",
                            "bad-report-id");
  Result<HttpResponse> res =
      co_await call("GET", data_path() + "/analytics/reports/" + report_id + "/describe");
  if (!res) co_return std::move(res).status();
  co_return report_detail_columns(res.value().body);
}

asio::awaitable<Status> Client::patch_record(std::string sobject, std::string id,
                                             std::string json_body) {
  if (!is_api_name(sobject) || !is_api_name(id))
    co_return Status::error(ErrorKind::kInvalidArgument,
                            "salesforce: PATCH needs an sObject API name and a record id",
                            "bad-record");
  Result<HttpResponse> res = co_await call("PATCH", data_path() + "/sobjects/" + sobject + "/" + id,
                                           "application/json", std::move(json_body));
  if (!res) co_return std::move(res).status();
  co_return Status();
}

}  // namespace reportd::salesforce
