#include "jobs/deliver/smtp_client.hpp"

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <tuple>

#include "jobs/deliver/message_source.hpp"
#include "jobs/deliver/mime.hpp"

namespace reportd::deliver {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxReplyLine = 4096;
constexpr int kMaxReplyLines = 100;

struct Reply {
  int code = 0;
  std::vector<std::string> lines;  // text after "NNN-" / "NNN "
  std::string summary() const {
    std::string s = std::to_string(code);
    for (const auto& l : lines) {
      s += ' ';
      for (char c : l) s += (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) ? ' ' : c;
      if (s.size() > 200) break;
    }
    return s.substr(0, 200);
  }
};

Status reply_error(std::string_view step, const Reply& r) {
  ErrorKind kind = r.code >= 400 && r.code < 500 ? ErrorKind::kTransient : ErrorKind::kPermanent;
  if (r.code == 535 || r.code == 534 || r.code == 530) kind = ErrorKind::kAuth;
  return Status::error(kind, "smtp: " + std::string(step) + ": server replied " + r.summary(),
                       "smtp-" + std::to_string(r.code));
}

Result<ssl::context> make_tls_context(const SmtpConfig& cfg) {
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                  ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  if (cfg.ca_file.empty()) {
    (void)ctx.set_default_verify_paths(ec);
  } else {
    (void)ctx.load_verify_file(cfg.ca_file, ec);
  }
  if (ec) {
    return Status::error(ErrorKind::kInvalidArgument,
                         "smtp.ca_file: cannot load " + (cfg.ca_file.empty() ? "the system trust store" : cfg.ca_file) +
                             ": " + ec.message(),
                         "config");
  }
  return ctx;
}

// One SMTP conversation. Lives in smtp_send's frame; all member coroutines
// are awaited directly, so `this` outlives them.
class Session {
 public:
  Session(asio::any_io_executor ex, const SmtpConfig& cfg, ssl::context ctx)
      : cfg_(cfg), ctx_(std::move(ctx)), stream_(ex, ctx_), timer_(ex) {}
  ~Session() { timer_.cancel(); }

  asio::awaitable<Status> connect() {
    step_ = "connect to " + cfg_.host + ":" + std::to_string(cfg_.port);
    tcp::resolver resolver(stream_.get_executor());
    arm(cfg_.step_timeout);
    auto [ec, endpoints] = co_await resolver.async_resolve(cfg_.host, std::to_string(cfg_.port), kTuple);
    if (ec) co_return net_error(ec);
    auto [ec2, ep] = co_await asio::async_connect(stream_.next_layer(), endpoints, kTuple);
    if (ec2) co_return net_error(ec2);
    if (cfg_.tls == "none" && !ep.address().is_loopback()) {
      co_return Status::error(ErrorKind::kPermanent,
                              "smtp: tls = \"none\" but " + cfg_.host + " resolved to a non-loopback address",
                              "smtp-tls-required");
    }
    co_return Status();
  }

  asio::awaitable<Status> handshake() {
    step_ = "TLS handshake with " + cfg_.host;
    SSL_set_tlsext_host_name(stream_.native_handle(), cfg_.host.c_str());
    stream_.set_verify_mode(ssl::verify_peer);
    stream_.set_verify_callback(ssl::host_name_verification(cfg_.host));
    arm(cfg_.step_timeout);
    auto [ec] = co_await stream_.async_handshake(ssl::stream_base::client, kTuple);
    if (ec) {
      co_return Status::error(ErrorKind::kPermanent,
                              "smtp: " + step_ + " failed: " + ec.message() +
                                  " (check the server certificate, smtp.host and smtp.ca_file)",
                              "smtp-tls");
    }
    tls_ = true;
    co_return Status();
  }

  asio::awaitable<Result<Reply>> read_reply(std::string step) {
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
        std::tie(ec, len) = co_await asio::async_read_until(stream_.next_layer(), buf, "\r\n", kTuple);
      }
      if (ec) co_return net_error(ec);
      std::string line = rbuf_.substr(0, len - 2);
      rbuf_.erase(0, len);
      if (line.size() < 3 || !std::isdigit(static_cast<unsigned char>(line[0])) ||
          !std::isdigit(static_cast<unsigned char>(line[1])) || !std::isdigit(static_cast<unsigned char>(line[2])) ||
          (line.size() > 3 && line[3] != ' ' && line[3] != '-')) {
        co_return Status::error(ErrorKind::kTransient, "smtp: " + step_ + ": malformed reply from server",
                                "smtp-protocol");
      }
      int code = std::stoi(line.substr(0, 3));
      if (n > 0 && code != r.code) {
        co_return Status::error(ErrorKind::kTransient, "smtp: " + step_ + ": inconsistent multi-line reply",
                                "smtp-protocol");
      }
      r.code = code;
      std::string text;
      if (line.size() > 4) text = line.substr(4);
      r.lines.push_back(std::move(text));
      if (line.size() <= 3 || line[3] == ' ') co_return r;
    }
    co_return Status::error(ErrorKind::kTransient, "smtp: " + step_ + ": reply too long", "smtp-protocol");
  }

  // Owns the bytes: commands are built in temporaries.
  asio::awaitable<Status> write(std::string data, std::string step) {
    begin(std::move(step), std::chrono::seconds(0));
    co_return co_await write_more(data);
  }

  // Starts a step whose writes share one deadline: the step timeout plus
  // `extra` (the message body, written chunk by chunk).
  void begin(std::string step, std::chrono::seconds extra) {
    step_ = std::move(step);
    arm(cfg_.step_timeout + extra);
  }

  // Writes within the deadline begin() set. `data` must outlive the call;
  // callers await it directly.
  asio::awaitable<Status> write_more(std::string_view data) {
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

  // Text the server might have pipelined before TLS started is not trusted.
  void discard_buffered() { rbuf_.clear(); }
  bool tls() const { return tls_; }
  void disarm() { timer_.cancel(); }

 private:
  void arm(std::chrono::seconds d) {
    ++generation_;
    timer_.expires_after(d);
    timer_.async_wait([this, gen = generation_](boost::system::error_code ec) {
      if (ec || gen != generation_) return;  // re-armed or cancelled
      timed_out_ = true;
      boost::system::error_code ignored;
      stream_.next_layer().close(ignored);
    });
  }

  Status net_error(boost::system::error_code ec) const {
    if (timed_out_) {
      return Status::error(ErrorKind::kTransient,
                           "smtp: " + step_ + ": no answer within " + std::to_string(cfg_.step_timeout.count()) + "s",
                           "smtp-timeout");
    }
    return Status::error(ErrorKind::kTransient, "smtp: " + step_ + ": " + ec.message(), "smtp-network");
  }

  const SmtpConfig& cfg_;
  ssl::context ctx_;
  ssl::stream<tcp::socket> stream_;
  asio::steady_timer timer_;
  std::string rbuf_;
  std::string step_;
  bool tls_ = false;
  bool timed_out_ = false;
  std::uint64_t generation_ = 0;
};

// The body goes out in slices of at most this many message bytes, each
// stuffed into one buffer of twice the size (the worst case: every line "."),
// plus room for the final CRLF and ".CRLF".
constexpr std::size_t kBodySlice = 96 * 1024;
constexpr std::size_t kBodyBuffer = 2 * kBodySlice + 8;

using Caps = std::map<std::string, std::string>;  // "SIZE" -> "10240000"

Caps parse_ehlo(const Reply& r) {
  Caps caps;
  for (std::size_t i = 1; i < r.lines.size(); ++i) {
    const std::string& l = r.lines[i];
    auto sp = l.find(' ');
    std::string key = l.substr(0, sp);
    for (char& c : key) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::string val = sp == std::string::npos ? "" : l.substr(sp + 1);
    for (char& c : val) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    caps[key] = val;
  }
  return caps;
}

// Awaited directly by smtp_send, so the reference parameters outlive it.
asio::awaitable<Result<Caps>> ehlo(Session& s, const std::string& helo_name) {
  if (Status st = co_await s.write("EHLO " + helo_name + "\r\n", "EHLO"); !st.ok()) co_return st;
  auto r = co_await s.read_reply("EHLO");
  if (!r.ok()) co_return r.status();
  if (r->code != 250) co_return reply_error("EHLO", *r);
  co_return parse_ehlo(*r);
}

}  // namespace

std::string dot_stuff(std::string_view m) {
  ChunkBuffer out(2 * m.size() + 2);
  DotStuffer stuffer;
  stuffer.feed(m, out);
  stuffer.finish(out);
  return std::string(out.view());
}

#define REPORTD_TRY(expr)                 \
  do {                                    \
    if (Status st_ = (expr); !st_.ok()) { \
      co_return st_;                      \
    }                                     \
  } while (false)

// PREFIX, the base64 of `secret`, CRLF: an AUTH line, in secure memory.
static crypto::SecureBuffer auth_line(std::string_view prefix, std::string_view secret) {
  const std::size_t n = base64_encoded_size(secret.size(), 0);
  crypto::SecureBuffer out(prefix.size() + n + 2);
  char* p = reinterpret_cast<char*>(out.data());
  std::memcpy(p, prefix.data(), prefix.size());
  base64_encode_into(secret, 0, p + prefix.size());
  std::memcpy(p + prefix.size() + n, "\r\n", 2);
  return out;
}

// Connect, greeting, EHLO, STARTTLS (verified), AUTH; awaited directly.
static asio::awaitable<Result<Caps>> open_session(Session& s, const SmtpConfig& cfg,
                                                  const crypto::SecureBuffer& password) {
  REPORTD_TRY(co_await s.connect());
  if (cfg.tls == "implicit") REPORTD_TRY(co_await s.handshake());
  auto greet = co_await s.read_reply("greeting");
  if (!greet.ok()) co_return greet.status();
  if (greet->code != 220) co_return reply_error("greeting", *greet);

  auto caps = co_await ehlo(s, cfg.helo_name);
  if (!caps.ok()) co_return caps.status();

  if (cfg.tls == "starttls") {
    if (!caps->contains("STARTTLS")) {
      co_return Status::error(ErrorKind::kPermanent,
                              "smtp: " + cfg.host + " does not offer STARTTLS; refusing to send in clear "
                              "(use tls = \"implicit\" on port 465 if the server expects it)",
                              "smtp-no-starttls");
    }
    REPORTD_TRY(co_await s.write("STARTTLS\r\n", "STARTTLS"));
    auto r = co_await s.read_reply("STARTTLS");
    if (!r.ok()) co_return r.status();
    if (r->code != 220) co_return reply_error("STARTTLS", *r);
    s.discard_buffered();
    REPORTD_TRY(co_await s.handshake());
    caps = co_await ehlo(s, cfg.helo_name);  // capabilities learnt in clear are void
    if (!caps.ok()) co_return caps.status();
  }

  if (!cfg.username.empty()) {
    auto auth = caps->find("AUTH");
    std::string mechs;
    if (auth != caps->end()) mechs = " " + auth->second + " ";
    if (mechs.find(" PLAIN ") != std::string::npos) {
      // "\0user\0password", never in an ordinary string.
      crypto::SecureBuffer token(cfg.username.size() + 2 + password.size());
      token.data()[0] = 0;
      std::memcpy(token.data() + 1, cfg.username.data(), cfg.username.size());
      token.data()[1 + cfg.username.size()] = 0;
      if (!password.empty()) std::memcpy(token.data() + 2 + cfg.username.size(), password.data(), password.size());
      crypto::SecureBuffer line = auth_line("AUTH PLAIN ", token.view());
      s.begin("AUTH PLAIN", std::chrono::seconds(0));
      REPORTD_TRY(co_await s.write_more(line.view()));
    } else if (mechs.find(" LOGIN ") != std::string::npos) {
      REPORTD_TRY(co_await s.write("AUTH LOGIN\r\n", "AUTH LOGIN"));
      auto r = co_await s.read_reply("AUTH LOGIN");
      if (!r.ok()) co_return r.status();
      if (r->code != 334) co_return reply_error("AUTH LOGIN", *r);
      REPORTD_TRY(co_await s.write(base64_encode(cfg.username, 0) + "\r\n", "AUTH LOGIN user"));
      r = co_await s.read_reply("AUTH LOGIN");
      if (!r.ok()) co_return r.status();
      if (r->code != 334) co_return reply_error("AUTH LOGIN", *r);
      crypto::SecureBuffer line = auth_line("", password.view());
      s.begin("AUTH LOGIN password", std::chrono::seconds(0));
      REPORTD_TRY(co_await s.write_more(line.view()));
    } else {
      co_return Status::error(ErrorKind::kPermanent,
                              "smtp: " + cfg.host + " offers neither AUTH PLAIN nor AUTH LOGIN", "smtp-auth");
    }
    auto r = co_await s.read_reply("AUTH");
    if (!r.ok()) co_return r.status();
    if (r->code != 235) {
      Status st = reply_error("AUTH", *r);
      co_return Status::error(ErrorKind::kAuth, st.message() + " (check smtp.username and smtp.password_file)",
                              st.code());
    }
  }
  co_return caps;
}

asio::awaitable<Result<std::string>> smtp_probe(SmtpConfig cfg, crypto::SecureBuffer password) {
  if (Status st = validate(cfg); !st.ok()) co_return st;
  auto ctx = make_tls_context(cfg);
  if (!ctx.ok()) co_return ctx.status();
  Session s(co_await asio::this_coro::executor, cfg, std::move(*ctx));
  if (auto caps = co_await open_session(s, cfg, password); !caps.ok()) co_return caps.status();
  if ((co_await s.write("QUIT\r\n", "QUIT")).ok()) (void)co_await s.read_reply("QUIT");
  co_return (cfg.tls == "none" ? "answered (no TLS)" : "answered, TLS certificate verified for " + cfg.host) +
      (cfg.username.empty() ? "" : ", AUTH accepted");
}

asio::awaitable<Result<SendReport>> smtp_send(SmtpConfig cfg, crypto::SecureBuffer password, Envelope env,
                                              MessageSource& message) {
  if (Status st = validate(cfg); !st.ok()) co_return st;
  REPORTD_TRY(validate_address(env.from));
  for (const auto& to : env.to) REPORTD_TRY(validate_address(to));
  if (env.to.empty()) co_return Status::error(ErrorKind::kInvalidArgument, "smtp: no recipients");
  auto ctx = make_tls_context(cfg);
  if (!ctx.ok()) co_return ctx.status();
  Session s(co_await asio::this_coro::executor, cfg, std::move(*ctx));
  auto caps = co_await open_session(s, cfg, password);
  if (!caps.ok()) co_return caps.status();

  // Known before a byte of the body is read: the source computes it.
  const std::uint64_t wire_size = message.stuffed_size();
  std::string mail_from = "MAIL FROM:<" + env.from + ">";
  if (auto size = caps->find("SIZE"); size != caps->end()) {
    std::uint64_t limit = size->second.empty() ? 0 : std::strtoull(size->second.c_str(), nullptr, 10);
    if (limit != 0 && wire_size > limit) {
      co_return Status::error(ErrorKind::kLimit,
                              "smtp: message of " + std::to_string(wire_size) + " bytes is over the server's SIZE limit of " +
                                  std::to_string(limit),
                              "smtp-size");
    }
    mail_from += " SIZE=" + std::to_string(wire_size);
  }
  mail_from += "\r\n";

  SendReport report;
  bool pipelining = caps->contains("PIPELINING");
  std::string batch = mail_from;
  if (pipelining) {
    for (const auto& to : env.to) batch += "RCPT TO:<" + to + ">\r\n";
  }
  REPORTD_TRY(co_await s.write(batch, "MAIL FROM"));
  auto mail = co_await s.read_reply("MAIL FROM");
  if (!mail.ok()) co_return mail.status();
  for (const auto& to : env.to) {
    if (!pipelining) {
      if (mail->code != 250) break;
      REPORTD_TRY(co_await s.write("RCPT TO:<" + to + ">\r\n", "RCPT TO"));
    }
    auto r = co_await s.read_reply("RCPT TO");
    if (!r.ok()) co_return r.status();
    RecipientResult rr{to, RcptOutcome::kAccepted, r->code, r->summary()};
    if (r->code >= 400 && r->code < 500) rr.outcome = RcptOutcome::kTransient;
    else if (r->code < 200 || r->code >= 300) rr.outcome = RcptOutcome::kPermanent;
    report.recipients.push_back(std::move(rr));
  }
  if (mail->code != 250) co_return reply_error("MAIL FROM", *mail);

  bool any = false;
  for (const auto& r : report.recipients) any = any || r.outcome == RcptOutcome::kAccepted;
  if (!any) {
    (void)co_await s.write("QUIT\r\n", "QUIT");
    co_return report;
  }

  REPORTD_TRY(co_await s.write("DATA\r\n", "DATA"));
  auto data = co_await s.read_reply("DATA");
  if (!data.ok()) co_return data.status();
  if (data->code != 354) co_return reply_error("DATA", *data);
  // Chunk by chunk: read from the source, stuff into `wire`, write, repeat.
  // Stuffing state (a line start, the last two bytes) carries across chunks.
  // One deadline covers the whole body, as if it were one write.
  ChunkBuffer wire(kBodyBuffer);  // holds report data: zeroed when it goes
  DotStuffer stuffer;
  s.begin("message body", std::chrono::seconds(static_cast<std::int64_t>(wire_size / 65536)));
  for (std::string_view chunk = message.next(); !chunk.empty(); chunk = message.next()) {
    while (!chunk.empty()) {
      std::string_view slice = chunk.substr(0, kBodySlice);
      chunk.remove_prefix(slice.size());
      wire.clear();
      stuffer.feed(slice, wire);
      REPORTD_TRY(co_await s.write_more(wire.view()));
    }
  }
  wire.clear();
  stuffer.finish(wire);
  wire.append(".\r\n");
  REPORTD_TRY(co_await s.write_more(wire.view()));
  auto done = co_await s.read_reply("end of data");
  if (!done.ok()) {
    // RFC 1047: the server may have queued the message. The caller retries
    // with the same Message-ID; at most one duplicate.
    co_return Status::error(ErrorKind::kTransient,
                            done.status().message() + " (after the final dot: the message may have been delivered)",
                            "smtp-unknown-outcome");
  }
  if (done->code != 250) co_return reply_error("end of data", *done);
  // Best effort: the message is already accepted.
  if ((co_await s.write("QUIT\r\n", "QUIT")).ok()) (void)co_await s.read_reply("QUIT");
  co_return report;
}

}  // namespace reportd::deliver
