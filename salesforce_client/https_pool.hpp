#pragma once
// HttpsPool: HTTPS/1.1 client over Beast + OpenSSL with a keep-alive pool per
// origin. Owns the TLS context and idle connections. Lives on one executor
// (the event loop); not thread-safe. TLS >= 1.2 with peer and host-name
// verification always on: system CA store plus an optional extra CA file.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "salesforce_client/http_message.hpp"
#include "table/status.hpp"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace reportd::salesforce {

struct TransportOptions {
  // Extra PEM file of CAs to trust besides the system store ([salesforce] ca_file).
  std::string ca_file;
  std::chrono::milliseconds connect_timeout{10'000};    // DNS + TCP connect
  std::chrono::milliseconds handshake_timeout{10'000};  // TLS handshake
  std::chrono::milliseconds request_timeout{120'000};   // write + whole response
  std::size_t max_response_bytes = 64u << 20;           // per body, after inflate
  std::size_t max_idle_per_origin = 4;                  // keep-alive connections kept
  // A kept-alive connection parked longer than this is closed, not reused
  // (close_stale_idle(), or when it would be taken): servers close idle
  // connections too, and each one held costs about 80 KiB (TLS state).
  std::chrono::milliseconds max_idle_time{8'000};
  std::string user_agent = "reportd/0.1";
};

class HttpsPool {
 public:
  // Fails (kInvalidArgument) when the CA file cannot be loaded.
  static Result<std::unique_ptr<HttpsPool>> create(boost::asio::any_io_executor executor,
                                                   TransportOptions options);
  ~HttpsPool();
  HttpsPool(const HttpsPool&) = delete;
  HttpsPool& operator=(const HttpsPool&) = delete;

  // Sends one request and reads the whole response (any status). Errors are
  // transport failures only (kTransient, or kPermanent for TLS verification);
  // their message starts with "salesforce: METHOD /path".
  boost::asio::awaitable<Result<HttpResponse>> request(HttpRequest req);

  // Connections opened since creation (tests check keep-alive reuse).
  std::size_t connections_opened() const { return opened_; }
  // Of those, the ones whose TLS handshake resumed an earlier session with
  // the same origin (no certificate sent or verified again).
  std::size_t handshakes_resumed() const;
  // The TLS context its connections are made from: one for every pool whose
  // ca_file is the same (tests check it is shared; sessions stay per pool).
  ssl_ctx_st* tls_context() const;
  // Drops idle connections.
  void close_idle();
  // Drops the idle connections parked longer than max_idle_time; returns how many.
  std::size_t close_stale_idle();
  // Kept-alive connections parked now.
  std::size_t idle_connections() const;

 private:
  struct Impl;
  struct Connection;
  HttpsPool(boost::asio::any_io_executor executor, TransportOptions options,
            std::unique_ptr<Impl> impl);
  boost::asio::awaitable<Result<std::unique_ptr<Connection>>> connect(Origin origin,
                                                                      std::string context);

  boost::asio::any_io_executor executor_;
  TransportOptions options_;
  std::unique_ptr<Impl> impl_;
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle_;
  std::size_t opened_ = 0;
};

}  // namespace reportd::salesforce
