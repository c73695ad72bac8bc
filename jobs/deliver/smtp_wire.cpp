#include "jobs/deliver/smtp_wire.hpp"

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <tuple>

#include "crypto/trust_store.hpp"

namespace reportd::deliver::smtp_wire {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxReplyLine = 4096;
constexpr int kMaxReplyLines = 100;
}  // namespace

std::string Reply::summary() const {
  std::string s = std::to_string(code);
  for (const auto& l : lines) {
    s += ' ';
    for (char c : l) s += (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) ? ' ' : c;
    if (s.size() > 200) break;
  }
  return s.substr(0, 200);
}

Status reply_error(std::string_view step, const Reply& r) {
  ErrorKind kind = r.code >= 400 && r.code < 500 ? ErrorKind::kTransient : ErrorKind::kPermanent;
  if (r.code == 535 || r.code == 534 || r.code == 530) kind = ErrorKind::kAuth;
  return Status::error(kind, "smtp: " + std::string(step) + ": server replied " + r.summary(),
                       "smtp-" + std::to_string(r.code));
}

Result<ssl::context> make_tls_context(const SmtpConfig& cfg) {
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  // A context per connection, but one trust store per [smtp] ca_file for the
  // process: the CAs read for one connection serve the next.
  auto trust = crypto::shared_trust_store(cfg.ca_file, crypto::Roots::kFileOrSystem);
  if (!trust) {
    return Status::error(ErrorKind::kInvalidArgument, "smtp.ca_file: " + trust.status().message(),
                         "config");
  }
  SSL_CTX_set1_cert_store(ctx.native_handle(), trust.value());
  return ctx;
}

Wire::Wire(asio::any_io_executor ex, const SmtpConfig& cfg, ssl::context ctx)
    : cfg_(cfg),
      ctx_(std::move(ctx)),
      stream_(ex, ctx_),
      timer_(ex),
      self_(std::make_shared<Wire*>(this)) {}

Wire::~Wire() {
  *self_ = nullptr;
  timer_.cancel();
}

asio::awaitable<Status> Wire::connect() {
  step_ = "connect to " + cfg_.host + ":" + std::to_string(cfg_.port);
  tcp::resolver resolver(stream_.get_executor());
  arm(cfg_.step_timeout);
  auto [ec, endpoints] =
      co_await resolver.async_resolve(cfg_.host, std::to_string(cfg_.port), kTuple);
  if (ec) co_return net_error(ec);
  auto [ec2, ep] = co_await asio::async_connect(stream_.next_layer(), endpoints, kTuple);
  if (ec2) co_return net_error(ec2);
  // No Nagle: the final dot is a few bytes written after the body, and a
  // small segment waits for the ACK of the data before it, which the relay
  // may delay (40 ms on Linux): that wait is inside the duplicate window.
  boost::system::error_code nodelay;
  stream_.next_layer().set_option(tcp::no_delay(true), nodelay);
  if (cfg_.tls == SmtpTls::kNone && !ep.address().is_loopback()) {
    co_return Status::error(
        ErrorKind::kPermanent,
        "smtp: tls = \"none\" but " + cfg_.host + " resolved to a non-loopback address",
        "smtp-tls-required");
  }
  co_return Status();
}

asio::awaitable<Status> Wire::handshake() {
  step_ = "TLS handshake with " + cfg_.host;
  SSL_set_tlsext_host_name(stream_.native_handle(), cfg_.host.c_str());
  stream_.set_verify_mode(ssl::verify_peer);
  stream_.set_verify_callback(ssl::host_name_verification(cfg_.host));
  arm(cfg_.step_timeout);
  auto [ec] = co_await stream_.async_handshake(ssl::stream_base::client, kTuple);
  if (ec) {
    broken_ = true;
    co_return Status::error(ErrorKind::kPermanent,
                            "smtp: " + step_ + " failed: " + ec.message() +
                                " (check the server certificate, smtp.host and smtp.ca_file)",
                            "smtp-tls");
  }
  tls_ = true;
  co_return Status();
}

asio::awaitable<Result<Reply>> Wire::read_reply(std::string step) {
  step_ = std::move(step);
  Reply r;
  for (int n = 0; n < kMaxReplyLines; ++n) {
    arm(cfg_.step_timeout);
    auto buf = asio::dynamic_buffer(rbuf_, kMaxReplyLine);
    // if/else, not ?:, around co_await: GCC 12 mishandles temporaries there.
    boost::system::error_code ec;
    std::size_t len = 0;
    if (tls_) {
      std::tie(ec, len) = co_await asio::async_read_until(stream_, buf, "\r\n", kTuple);
    } else {
      std::tie(ec, len) =
          co_await asio::async_read_until(stream_.next_layer(), buf, "\r\n", kTuple);
    }
    if (ec) co_return net_error(ec);
    std::string line = rbuf_.substr(0, len - 2);
    rbuf_.erase(0, len);
    if (line.size() < 3 || !std::isdigit(static_cast<unsigned char>(line[0])) ||
        !std::isdigit(static_cast<unsigned char>(line[1])) ||
        !std::isdigit(static_cast<unsigned char>(line[2])) ||
        (line.size() > 3 && line[3] != ' ' && line[3] != '-')) {
      broken_ = true;
      co_return Status::error(ErrorKind::kTransient,
                              "smtp: " + step_ + ": malformed reply from server", "smtp-protocol");
    }
    int code = std::stoi(line.substr(0, 3));
    if (n > 0 && code != r.code) {
      broken_ = true;
      co_return Status::error(ErrorKind::kTransient,
                              "smtp: " + step_ + ": inconsistent multi-line reply",
                              "smtp-protocol");
    }
    r.code = code;
    std::string text;
    if (line.size() > 4) text = line.substr(4);
    r.lines.push_back(std::move(text));
    if (line.size() <= 3 || line[3] == ' ') {
      disarm();  // an idle connection between transactions has no deadline running
      co_return r;
    }
  }
  broken_ = true;
  co_return Status::error(ErrorKind::kTransient, "smtp: " + step_ + ": reply too long",
                          "smtp-protocol");
}

asio::awaitable<Status> Wire::write(std::string data, std::string step) {
  begin(std::move(step), std::chrono::seconds(0));
  co_return co_await write_more(data);
}

void Wire::begin(std::string step, std::chrono::seconds extra) {
  step_ = std::move(step);
  arm(cfg_.step_timeout + extra);
}

asio::awaitable<Status> Wire::write_more(std::string_view data) {
  boost::system::error_code ec;
  std::size_t n = 0;
  if (tls_) {
    std::tie(ec, n) = co_await asio::async_write(stream_, asio::buffer(data), kTuple);
  } else {
    std::tie(ec, n) = co_await asio::async_write(stream_.next_layer(), asio::buffer(data), kTuple);
  }
  (void)n;
  if (ec) co_return net_error(ec);
  co_return Status();
}

void Wire::disarm() {
  ++generation_;
  timer_.cancel();
}

void Wire::arm(std::chrono::seconds d) {
  ++generation_;
  timer_.expires_after(d);
  timer_.async_wait([self = self_, gen = generation_](boost::system::error_code ec) {
    Wire* w = *self;
    if (ec || w == nullptr || gen != w->generation_) return;  // cancelled, gone or re-armed
    w->timed_out_ = true;
    boost::system::error_code ignored;
    w->stream_.next_layer().close(ignored);
  });
}

Status Wire::net_error(boost::system::error_code ec) {
  broken_ = true;
  if (timed_out_) {
    return Status::error(
        ErrorKind::kTransient,
        "smtp: " + step_ + ": no answer within " + std::to_string(cfg_.step_timeout.count()) + "s",
        "smtp-timeout");
  }
  return Status::error(ErrorKind::kTransient, "smtp: " + step_ + ": " + ec.message(),
                       "smtp-network");
}

}  // namespace reportd::deliver::smtp_wire
