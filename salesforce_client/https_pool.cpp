// One request = take an idle connection for the origin (or open one: resolve,
// TCP connect, TLS handshake, each under its own deadline), write, read the
// whole response under the request deadline (one timer for the whole
// exchange, not one per read), and park the connection again when the server
// keeps it alive. A request that fails on a reused
// connection before any response byte arrived is retried once on a fresh
// one: the server most likely closed the idle connection.
#include "salesforce_client/https_pool.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <map>
#include <mutex>

#include "crypto/trust_store.hpp"
#include "salesforce_client/error.hpp"
#include "salesforce_client/inflate.hpp"
#include "salesforce_client/oauth.hpp"
#include "table/wipe.hpp"

namespace reportd::salesforce {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

std::string ms_text(std::chrono::milliseconds ms) { return std::to_string(ms.count()) + " ms"; }

bool is_stale_connection_error(const boost::system::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == ssl::error::stream_truncated;
}

Status network_status(const boost::system::error_code& ec, const std::string& context,
                      std::string_view during, const TransportOptions& options) {
  if (ec == beast::error::timeout)
    return transport_error(std::string(during) + " timed out", context, ErrorKind::kTransient,
                           "timeout")
        .to_status();
  if (ec == http::error::body_limit || ec == http::error::header_limit)
    return transport_error(
               "response exceeds " + std::to_string(options.max_response_bytes) + " bytes", context,
               ErrorKind::kLimit, "too-large")
        .to_status();
  if (ec == http::error::partial_message || ec == http::error::end_of_stream ||
      ec == asio::error::eof || ec == ssl::error::stream_truncated ||
      ec == asio::error::connection_reset)
    return transport_error(std::string("connection closed during ") + std::string(during), context,
                           ErrorKind::kTransient, "connection-cut")
        .to_status();
  return transport_error(std::string(during) + ": " + ec.message(), context).to_status();
}

// Beast's string_body, except that a body is appended without zero-filling
// it first, a Content-Length is reserved up front, and a chunked body that
// outgrows its block is moved to a bigger one after zeroing the old: record
// values are left in no freed block.
struct WipingStringBody {
  using value_type = std::string;

  static std::uint64_t size(const value_type& body) { return body.size(); }

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(http::header<isRequest, Fields>&, value_type& body) : body_(body) {}

    void init(const boost::optional<std::uint64_t>& length, beast::error_code& ec) {
      ec = {};
      if (!length) return;
      if (*length > body_.max_size()) {
        ec = http::error::buffer_overflow;
        return;
      }
      grow(static_cast<std::size_t>(*length));
    }

    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
      const std::size_t n = beast::buffer_bytes(buffers);
      if (n > body_.max_size() - body_.size()) {
        ec = http::error::buffer_overflow;
        return 0;
      }
      if (body_.size() + n > body_.capacity())
        grow(std::max(body_.size() + n, 2 * body_.capacity()));
      for (const auto b : beast::buffers_range_ref(buffers))
        body_.append(static_cast<const char*>(b.data()), b.size());
      ec = {};
      return n;
    }

    void finish(beast::error_code& ec) { ec = {}; }

   private:
    void grow(std::size_t capacity) {
      if (capacity <= body_.capacity()) return;
      std::string bigger;
      bigger.reserve(capacity);
      bigger.append(body_);
      wipe(body_);
      body_.swap(bigger);
    }
    value_type& body_;
  };
};

using ResponseParser = http::response_parser<WipingStringBody>;

// Zeroes a header field's value in place. Not inlined: GCC's -O3 object-size
// tracking takes the value for the 6-byte field element it follows in the
// same allocation and reports a false overflow.
[[gnu::noinline]] void wipe_field_value(char* value, std::size_t size) { wipe_bytes(value, size); }

struct Exchanged {
  boost::system::error_code ec;
  std::string_view during;
};

}  // namespace

// TLS session resumption: the newest session (TLS 1.3 ticket) each origin's
// server gave, offered by the next connection to that origin, so that a
// reconnect (an idle connection closed after max_idle_time, or a burst
// needing more connections) skips the certificate exchange, its decoding and
// verification on both ends. A session is only ever offered to the origin
// (host:port) whose certificate and name were verified when it was made.
struct SessionFree {
  void operator()(SSL_SESSION* s) const { SSL_SESSION_free(s); }
};
using SessionSlot = std::unique_ptr<SSL_SESSION, SessionFree>;

namespace {

// The SSL's ex_data index holding its origin's SessionSlot (the connection
// holds the slot alive as long as its SSL lives).
int session_slot_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// OpenSSL's new-session callback (SSL_CTX_sess_set_new_cb): keeps a copy
// of the session in the connection's origin slot. A copy: OpenSSL marks the
// connection's own session not resumable when the connection is freed
// without a close_notify sent (a stale idle connection is just closed).
// 0: OpenSSL keeps its reference.
int keep_session(SSL* ssl, SSL_SESSION* session) {
  auto* slot = static_cast<SessionSlot*>(SSL_get_ex_data(ssl, session_slot_index()));
  if (slot == nullptr || SSL_SESSION_is_resumable(session) != 1) return 0;
  if (SSL_SESSION* copy = SSL_SESSION_dup(session); copy != nullptr) slot->reset(copy);
  return 0;
}

// The client TLS context of every pool with the same trust store: settings
// only (OpenSSL's session cache is off; each pool keeps its sessions per
// origin in Impl::sessions, so no org is offered another's). One per org
// client cost 12 KiB and 0.15 ms on the event loop. Never destroyed.
Result<ssl::context*> shared_client_context(const std::string& ca_file) {
  auto trust = crypto::shared_trust_store(ca_file, crypto::Roots::kSystemAndFile);
  if (!trust) return std::move(trust).status().with_context("salesforce");
  static std::mutex mu;
  static auto* const contexts = new std::map<X509_STORE*, ssl::context*>;
  std::lock_guard lock(mu);
  if (auto it = contexts->find(trust.value()); it != contexts->end()) return it->second;
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression);
  SSL_CTX_set1_cert_store(native, trust.value());
  ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(native, &keep_session);
  return contexts->emplace(trust.value(), ctx.release()).first->second;
}

}  // namespace

struct HttpsPool::Impl {
  explicit Impl(ssl::context& shared) : ctx(shared) {}
  ssl::context& ctx;  // shared_client_context()
  // Per origin key (host:port); shared with the connections to it.
  std::map<std::string, std::shared_ptr<SessionSlot>> sessions;
  std::size_t resumed = 0;
};

// Beast reads at most the read buffer's free space (at least 512 bytes, at
// most 64 KiB) per read_some. Left to grow on its own the buffer stays at the
// size of the header, so a body arrived in reads of one or two KiB, each a
// trip through the event loop after the TLS record it came from was already
// decrypted (about one per row of a query page). With 64 KiB of room each
// read takes what one TLS record holds.
constexpr std::size_t kReadBufferBytes = 64 * 1024;

struct HttpsPool::Connection {
  Connection(const asio::any_io_executor& ex, ssl::context& ctx) : stream(ex, ctx) {
    buffer.reserve(kReadBufferBytes);
  }
  ~Connection() { wipe_spare(); }
  // Zeroes the read buffer's free space: the bytes of the responses read
  // through it (record values) stay there until overwritten otherwise.
  void wipe_spare() {
    auto spare = buffer.prepare(buffer.capacity() - buffer.size());
    wipe_bytes(spare.data(), spare.size());
  }
  // Kept alive between requests: the read buffer, wiped, goes back to the
  // heap (with 1,000 orgs each holding a connection, 64 KiB each was about
  // 64 MiB); unpark() brings it back before the next request.
  void park() {
    wipe_spare();
    if (buffer.size() == 0) buffer.shrink_to_fit();
    parked = std::chrono::steady_clock::now();
  }
  void unpark() { buffer.reserve(kReadBufferBytes); }
  std::shared_ptr<SessionSlot> session;  // its origin's (kept past the pool by this)
  beast::ssl_stream<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  std::chrono::steady_clock::time_point parked;
};

namespace {

// Writes the request and reads the whole response; the caller races it
// against the request's deadline.
asio::awaitable<Exchanged> exchange(beast::ssl_stream<beast::tcp_stream>& stream,
                                    beast::flat_buffer& buffer,
                                    http::request<http::string_body>& msg, ResponseParser& parser) {
  auto [wec, wn] = co_await http::async_write(stream, msg, kTuple);
  if (wec) co_return Exchanged{wec, "sending the request"};
  auto [rec, rn] = co_await http::async_read(stream, buffer, parser, kTuple);
  co_return Exchanged{rec, "reading the response"};
}

}  // namespace

Result<std::unique_ptr<HttpsPool>> HttpsPool::create(asio::any_io_executor executor,
                                                     TransportOptions options) {
  if (session_slot_index() < 0) {
    return Status::error(ErrorKind::kInternal, "TLS: no ex_data index for session resumption");
  }
  auto ctx = shared_client_context(options.ca_file);
  if (!ctx) return std::move(ctx).status();
  auto impl = std::make_unique<Impl>(*ctx.value());
  return std::unique_ptr<HttpsPool>(
      new HttpsPool(std::move(executor), std::move(options), std::move(impl)));
}

HttpsPool::HttpsPool(asio::any_io_executor executor, TransportOptions options,
                     std::unique_ptr<Impl> impl)
    : executor_(std::move(executor)), options_(std::move(options)), impl_(std::move(impl)) {}

HttpsPool::~HttpsPool() = default;

void HttpsPool::close_idle() { idle_.clear(); }

std::size_t HttpsPool::handshakes_resumed() const { return impl_->resumed; }

ssl_ctx_st* HttpsPool::tls_context() const { return impl_->ctx.native_handle(); }

std::size_t HttpsPool::close_stale_idle() {
  const auto now = std::chrono::steady_clock::now();
  const auto max_idle = options_.max_idle_time;
  std::size_t closed = 0;
  for (auto& [origin, idle] : idle_) {
    closed += std::erase_if(idle, [now, max_idle](const std::unique_ptr<Connection>& c) {
      return now - c->parked >= max_idle;
    });
  }
  return closed;
}

std::size_t HttpsPool::idle_connections() const {
  std::size_t n = 0;
  for (const auto& [origin, idle] : idle_) n += idle.size();
  return n;
}

asio::awaitable<Result<std::unique_ptr<HttpsPool::Connection>>> HttpsPool::connect(
    Origin origin, std::string context) {
  using namespace asio::experimental::awaitable_operators;
  tcp::resolver resolver(executor_);
  asio::steady_timer timer(executor_);
  timer.expires_after(options_.connect_timeout);
  auto resolved = co_await (resolver.async_resolve(origin.host, origin.port, kTuple) ||
                            timer.async_wait(kTuple));
  if (resolved.index() == 1)
    co_return network_status(beast::error::timeout, context, "resolving " + origin.host, options_);
  auto [rec, endpoints] = std::get<0>(std::move(resolved));
  if (rec) co_return network_status(rec, context, "resolving " + origin.host, options_);

  auto conn = std::make_unique<Connection>(executor_, impl_->ctx);
  auto& layer = beast::get_lowest_layer(conn->stream);
  layer.expires_after(options_.connect_timeout);
  auto [cec, ep] = co_await layer.async_connect(endpoints, kTuple);
  if (cec)
    co_return network_status(cec, context, "connecting to " + origin.host + ":" + origin.port,
                             options_);
  ++opened_;

  // Host-name (or IP) verification is done by OpenSSL's chain verification.
  SSL* ssl_handle = conn->stream.native_handle();
  auto& slot = impl_->sessions[origin.host + ":" + origin.port];
  if (!slot) slot = std::make_shared<SessionSlot>();
  conn->session = slot;
  SSL_set_ex_data(ssl_handle, session_slot_index(), conn->session.get());
  if (*slot) SSL_set_session(ssl_handle, slot->get());  // the server may still refuse it
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl_handle);
  boost::system::error_code aec;
  asio::ip::make_address(origin.host, aec);
  if (!aec) {
    X509_VERIFY_PARAM_set1_ip_asc(param, origin.host.c_str());
  } else {
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    X509_VERIFY_PARAM_set1_host(param, origin.host.c_str(), 0);
    SSL_set_tlsext_host_name(ssl_handle, origin.host.c_str());
  }
  layer.expires_after(options_.handshake_timeout);
  auto [hec] = co_await conn->stream.async_handshake(ssl::stream_base::client, kTuple);
  if (hec) {
    long verify = SSL_get_verify_result(ssl_handle);
    if (verify != X509_V_OK)
      co_return transport_error(std::string("TLS certificate verification failed: ") +
                                    X509_verify_cert_error_string(verify),
                                context, ErrorKind::kPermanent, "tls-verify")
          .to_status();
    co_return network_status(hec, context, "TLS handshake", options_);
  }
  if (SSL_session_reused(ssl_handle) == 1) ++impl_->resumed;
  co_return conn;
}

namespace {

// The HTTP/1.1 message for `req`, its body moved in.
http::request<http::string_body> message_for(HttpRequest& req, const std::string& user_agent) {
  http::request<http::string_body> msg{http::string_to_verb(req.method), req.target, 11};
  msg.set(http::field::host,
          req.origin.port == "443" ? req.origin.host : req.origin.host + ":" + req.origin.port);
  msg.set(http::field::user_agent, user_agent);
  msg.set(http::field::accept, req.accept);
  msg.set(http::field::accept_encoding, "gzip");
  if (!req.authorization.empty()) msg.set(http::field::authorization, req.authorization);
  for (const auto& [k, v] : req.headers) msg.set(k, v);
  if (!req.body.empty() || req.method == "POST" || req.method == "PATCH") {
    if (!req.content_type.empty()) msg.set(http::field::content_type, req.content_type);
    msg.body() = std::move(req.body);
  }
  msg.keep_alive(true);
  msg.prepare_payload();
  return msg;
}

}  // namespace

asio::awaitable<Result<HttpResponse>> HttpsPool::request(HttpRequest req) {
  const std::string context = "salesforce: " + req.method + " " + std::string(path_of(req.target));
  http::request<http::string_body> msg = message_for(req, options_.user_agent);

  // Zeroes the request body (credentials, an upload's record values) and the
  // bearer token in the header fields on every way out.
  struct WipeOnExit {
    http::request<http::string_body>& m;
    ~WipeOnExit() {
      wipe(m.body());
      if (auto it = m.find(http::field::authorization); it != m.end()) {
        // The fields own this storage; it is freed with `m` right after.
        beast::string_view v = it->value();
        wipe_field_value(const_cast<char*>(v.data()), v.size());
      }
    }
  } wipe_guard{msg};
  // Looked up afresh after every suspension: close_idle() may run meanwhile.
  const std::string key = req.origin.host + ":" + req.origin.port;
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Connection> conn;
    bool reused = false;
    close_stale_idle();  // one the server has likely closed is not tried
    if (auto& idle = idle_[key]; !idle.empty()) {
      conn = std::move(idle.back());
      idle.pop_back();
      conn->unpark();
      reused = true;
    } else {
      auto opened = co_await connect(req.origin, context);
      if (!opened) co_return std::move(opened).status();
      conn = std::move(opened.value());
    }
    // One deadline for the whole exchange: the stream itself arms no timer
    // per read.
    beast::get_lowest_layer(conn->stream).expires_never();
    ResponseParser parser;
    parser.body_limit(options_.max_response_bytes);
    parser.header_limit(64 * 1024);
    asio::steady_timer deadline(executor_);
    deadline.expires_after(options_.request_timeout);
    using namespace asio::experimental::awaitable_operators;
    auto done =
        co_await (exchange(conn->stream, conn->buffer, msg, parser) || deadline.async_wait(kTuple));
    if (done.index() == 1)  // the exchange was cancelled; the connection is dropped
      co_return transport_error("no complete response within " + ms_text(options_.request_timeout),
                                context, ErrorKind::kTransient, "timeout")
          .to_status();
    const auto [ec, during] = std::get<0>(done);
    if (ec) {
      if (reused && attempt == 0 && !parser.got_some() && is_stale_connection_error(ec)) continue;
      co_return network_status(ec, context, during, options_);
    }

    auto& res = parser.get();
    HttpResponse out;
    out.status = static_cast<int>(res.result_int());
    for (const auto& field : res)
      out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    out.content_type = std::string(res[http::field::content_type]);
    out.body = std::move(res.body());
    const auto encoding = res[http::field::content_encoding];
    const bool gzipped = (encoding == "gzip" || encoding == "deflate") && out.body.size() >= 2 &&
                         static_cast<unsigned char>(out.body[0]) == 0x1f &&
                         static_cast<unsigned char>(out.body[1]) == 0x8b;
    if (auto& idle = idle_[key]; res.keep_alive() && idle.size() < options_.max_idle_per_origin) {
      conn->park();
      idle.push_back(std::move(conn));
    }  // else its destructor wipes the buffer
    out.compressed = gzipped && !req.inflate && out.status < 300;  // error bodies are read whole
    if (gzipped && !out.compressed) {
      auto plain = gunzip(out.body, options_.max_response_bytes, std::move(req.inflate_into));
      if (!plain) co_return std::move(plain).status().with_context(context);
      wipe(out.body);
      out.body = std::move(plain.value());
    }
    co_return out;
  }
}

}  // namespace reportd::salesforce
