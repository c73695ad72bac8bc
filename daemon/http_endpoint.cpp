#include "daemon/http_endpoint.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include <charconv>

namespace reportd::daemon {

struct HttpEndpoint::Server {
  httplib::Server http;
};

namespace {

constexpr int kThreads = 4;

void reply(httplib::Response& res, HttpReply r) {
  res.status = r.status;
  // Nothing here may be cached or framed, and the callback page links
  // nowhere, so its URL (which held the code) never leaks as a referrer.
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
  res.set_content(std::move(r.body), r.content_type.c_str());
}

Status invalid(std::string message) {
  return Status::error(ErrorKind::kInvalidArgument, std::move(message));
}

}  // namespace

std::string server_header() { return std::string("reportd/") + REPORTD_VERSION; }

Result<ListenAddress> parse_listen(std::string_view text) {
  const std::string example = " (e.g. \"127.0.0.1:9464\" or \"[::1]:9464\")";
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) {
    return invalid("listen address \"" + std::string(text) + "\" must be HOST:PORT" + example);
  }
  std::string_view host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') {
      return invalid("listen address \"" + std::string(text) + "\": unbalanced brackets" + example);
    }
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return invalid("listen address \"" + std::string(text) + "\": an IPv6 host needs brackets" +
                   example);
  }
  std::string_view port_text = text.substr(colon + 1);
  int port = -1;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 0 || port > 65535) {
    return invalid("listen address \"" + std::string(text) + "\": port \"" +
                   std::string(port_text) + "\" is not a number in 0-65535");
  }
  return ListenAddress{std::string(host), port};
}

HttpEndpoint::HttpEndpoint(EndpointRoutes routes) : server_(std::make_unique<Server>()) {
  httplib::Server& http = server_->http;
  http.new_task_queue = [] { return new httplib::ThreadPool(kThreads); };
  // httplib sets SO_REUSEPORT by default, which would let a second process
  // bind the same port and steal half of the requests (OAuth callbacks
  // included). SO_REUSEADDR alone only allows a quick restart.
  http.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  http.set_read_timeout(std::chrono::seconds(10));
  http.set_write_timeout(std::chrono::seconds(10));
  http.set_keep_alive_max_count(100);
  http.set_payload_max_length(16 * 1024);
  http.set_default_headers({{"Server", server_header()}});
  httplib::Server::HandlerWithResponse on_error = [](const httplib::Request&,
                                                     httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string body = res.status == 404 ? "not found: this endpoint serves /healthz, /metrics "
                                           "and /oauth/callback\n"
                                         : "error " + std::to_string(res.status) + "\n";
    res.set_content(body, "text/plain; charset=utf-8");
    return httplib::Server::HandlerResponse::Handled;
  };
  http.set_error_handler(std::move(on_error));
  if (routes.healthz) {
    http.Get("/healthz", [f = routes.healthz](const httplib::Request&, httplib::Response& res) {
      reply(res, f());
    });
  }
  if (routes.metrics) {
    http.Get("/metrics", [f = routes.metrics](const httplib::Request&, httplib::Response& res) {
      reply(res, f());
    });
  }
  if (routes.oauth_callback) {
    http.Get("/oauth/callback",
             [f = routes.oauth_callback](const httplib::Request& req, httplib::Response& res) {
               CallbackQuery q;
               q.state = req.get_param_value("state");
               q.code = req.get_param_value("code");
               q.error = req.get_param_value("error");
               q.error_description = req.get_param_value("error_description");
               reply(res, f(std::move(q)));
             });
  }
}

HttpEndpoint::~HttpEndpoint() { stop(); }

Status HttpEndpoint::start(const ListenAddress& address) {
  httplib::Server& http = server_->http;
  if (address.port == 0) {
    port_ = http.bind_to_any_port(address.host);
    if (port_ <= 0) {
      return Status::error(ErrorKind::kIo, "cannot listen on " + address.host + ": bind failed");
    }
  } else {
    if (!http.bind_to_port(address.host, address.port)) {
      return Status::error(ErrorKind::kIo, "cannot listen on " + address.host + ":" +
                                               std::to_string(address.port) +
                                               ": the address is in use or not available here");
    }
    port_ = address.port;
  }
  thread_ = std::thread([&http] { http.listen_after_bind(); });
  // stop() only stops a server that runs: wait until the accept loop has
  // started, so that a quick stop() cannot leave the thread behind.
  for (int i = 0; i < 2000 && !http.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return {};
}

void HttpEndpoint::stop() {
  if (!thread_.joinable()) return;
  server_->http.stop();
  thread_.join();
}

}  // namespace reportd::daemon
