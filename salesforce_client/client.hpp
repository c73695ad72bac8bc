#pragma once
// Client: the real salesforce::Api for one connected org. Owns its HTTPS
// pool and Session (access token, single-flight refresh). Lives on one
// executor (the event loop); calls may run concurrently as coroutines on it.
// On 401 INVALID_SESSION_ID a call refreshes the token once and retries.

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "salesforce_client/api.hpp"
#include "salesforce_client/http_message.hpp"
#include "salesforce_client/https_pool.hpp"
#include "salesforce_client/session.hpp"

namespace reportd::salesforce {

struct ClientOptions {
  // Where token requests go: https://login.salesforce.com, https://test.salesforce.com
  // or the org's My Domain. REST calls go to the instance_url the token names.
  std::string login_url = "https://login.salesforce.com";
  std::string api_version = "61.0";  // REST API version, without the "v"
  TransportOptions transport;        // CA file, deadlines, size bound
  // Bulk API 2.0: job polling backs off from `initial` to `max` (x1.5 each
  // time) and gives up (kTransient) after `timeout`.
  std::chrono::milliseconds bulk_poll_initial{500};
  std::chrono::milliseconds bulk_poll_max{10'000};
  std::chrono::milliseconds bulk_timeout{30 * 60'000};
  std::uint32_t bulk_max_records = 20'000;  // rows per results request (bounds memory)
  // Pages (REST nextRecordsUrl, Bulk result locators) one query may follow
  // before it fails "too-large" (0: no cap). A page URL or locator seen
  // before fails at once ("paging-loop"), whatever the cap. Both kPermanent.
  std::uint64_t max_pages = 0;
  // Checks whose token every token response is (org pinning); empty: any.
  AcceptToken accept_token;
};

// The pages a query of at most `max_rows` rows may need: one per 200 rows
// (the smallest page Salesforce sends), and one more.
std::uint64_t max_pages_for_rows(std::uint64_t max_rows);

class Client final : public Api {
 public:
  // Fails with kInvalidArgument for a bad login_url or CA file.
  static Result<std::unique_ptr<Client>> create(boost::asio::any_io_executor executor,
                                                ClientOptions options, Credential credential);
  ~Client() override;

  boost::asio::awaitable<Status> query(std::string soql, bool all, table::RowSink& sink) override;
  boost::asio::awaitable<Status> run_report(std::string report_id, table::RowSink& sink) override;
  boost::asio::awaitable<Result<std::vector<ReportColumn>>> report_columns(
      std::string report_id) override;
  boost::asio::awaitable<Status> bulk_query(std::string soql, table::RowSink& sink) override;
  boost::asio::awaitable<Status> patch_record(std::string sobject, std::string id,
                                              std::string json_body) override;
  boost::asio::awaitable<Result<UploadResult>> upload_file(FileUpload file) override;
  std::optional<ApiUsage> api_usage() const override { return usage_; }

  // One authorized REST call: `target` is a path ("/services/data/...") or
  // an absolute URL on the instance. Statuses >= 300 become errors.
  // `inflate_into`, `inflate`: see HttpRequest.
  boost::asio::awaitable<Result<HttpResponse>> call(std::string method, std::string target,
                                                    std::string content_type = {},
                                                    std::string body = {},
                                                    std::string accept = "application/json",
                                                    std::string inflate_into = {},
                                                    bool inflate = true);

  // "/services/data/v61.0"
  std::string data_path() const { return "/services/data/v" + options_.api_version; }
  Session& session() { return *session_; }
  HttpsPool& pool() { return *pool_; }

 private:
  Client(boost::asio::any_io_executor executor, ClientOptions options,
         std::unique_ptr<HttpsPool> pool, Origin login, Credential credential);

  boost::asio::any_io_executor executor_;
  ClientOptions options_;
  std::unique_ptr<HttpsPool> pool_;
  std::unique_ptr<Session> session_;
  std::optional<ApiUsage> usage_;
};

}  // namespace reportd::salesforce
