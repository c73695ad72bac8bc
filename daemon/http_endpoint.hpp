#pragma once
// HttpEndpoint: the small HTTP server of DESIGN.md §5 (cpp-httplib). Serves
// GET /healthz, GET /metrics and GET /oauth/callback through the handlers it
// is given; any other path is 404, and there are no control operations.
// Owns the server and its threads (httplib runs handlers on its own pool):
// handlers must be thread-safe and must not touch the event loop's objects
// directly. `reportd serve` and `reportd connections add --authorize` use it.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "table/status.hpp"

namespace reportd::daemon {

struct HttpReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// The query of a redirect back from Salesforce's authorize page.
struct CallbackQuery {
  std::string state;
  std::string code;   // secret: single-use, exchanged for tokens
  std::string error;  // e.g. access_denied
  std::string error_description;
};

struct EndpointRoutes {
  std::function<HttpReply()> healthz;                            // empty: 404
  std::function<HttpReply()> metrics;                            // empty: 404
  std::function<HttpReply(CallbackQuery query)> oauth_callback;  // empty: 404
};

struct ListenAddress {
  std::string host;  // without brackets: "127.0.0.1", "::1", "localhost"
  int port = 0;      // 0: any free port
};

// "HOST:PORT" or "[V6]:PORT"; the error says which part is wrong.
Result<ListenAddress> parse_listen(std::string_view text);

class HttpEndpoint {
 public:
  explicit HttpEndpoint(EndpointRoutes routes);
  ~HttpEndpoint();  // stops the server and joins its threads
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  // Binds the address (no SO_REUSEPORT: a second process cannot share the
  // port) and serves on a background thread. Fails when the address is taken.
  Status start(const ListenAddress& address);
  void stop();
  int port() const { return port_; }  // the bound port, after start()

 private:
  struct Server;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  int port_ = 0;
};

// "reportd/<version>", sent as the Server header; the CLI recognises a
// running daemon's endpoint by it.
std::string server_header();

}  // namespace reportd::daemon
