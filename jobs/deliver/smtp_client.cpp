#include "jobs/deliver/smtp_client.hpp"

#include <boost/asio/this_coro.hpp>
#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>

#include "jobs/deliver/message_source.hpp"
#include "jobs/deliver/mime.hpp"
#include "jobs/deliver/smtp_wire.hpp"
#include "store/leases.hpp"

namespace reportd::deliver {
namespace {

namespace asio = boost::asio;
using smtp_wire::Reply;
using smtp_wire::reply_error;
using smtp_wire::Wire;

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

// Awaited directly, so the reference parameters outlive it.
asio::awaitable<Result<Caps>> ehlo(Wire& s, const std::string& helo_name) {
  if (Status st = co_await s.write("EHLO " + helo_name + "\r\n", "EHLO"); !st.ok()) co_return st;
  auto r = co_await s.read_reply("EHLO");
  if (!r.ok()) co_return r.status();
  if (r->code != 250) co_return reply_error("EHLO", *r);
  co_return parse_ehlo(*r);
}

#define REPORTD_TRY(expr)                 \
  do {                                    \
    if (Status st_ = (expr); !st_.ok()) { \
      co_return st_;                      \
    }                                     \
  } while (false)

// PREFIX, the base64 of `secret`, CRLF: an AUTH line, in secure memory.
crypto::SecureBuffer auth_line(std::string_view prefix, std::string_view secret) {
  const std::size_t n = base64_encoded_size(secret.size(), 0);
  crypto::SecureBuffer out(prefix.size() + n + 2);
  char* p = reinterpret_cast<char*>(out.data());
  std::memcpy(p, prefix.data(), prefix.size());
  base64_encode_into(secret, 0, p + prefix.size());
  std::memcpy(p + prefix.size() + n, "\r\n", 2);
  return out;
}

// AUTH PLAIN or LOGIN, whichever the server offers (PLAIN first).
asio::awaitable<Status> authenticate(Wire& s, const SmtpConfig& cfg, const crypto::SecureBuffer& password,
                                     const Caps& caps) {
  auto auth = caps.find("AUTH");
  std::string mechs;
  if (auth != caps.end()) mechs = " " + auth->second + " ";
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
    co_return Status::error(ErrorKind::kPermanent, "smtp: " + cfg.host + " offers neither AUTH PLAIN nor AUTH LOGIN",
                            "smtp-auth");
  }
  auto r = co_await s.read_reply("AUTH");
  if (!r.ok()) co_return r.status();
  if (r->code != 235) {
    Status st = reply_error("AUTH", *r);
    co_return Status::error(ErrorKind::kAuth, st.message() + " (check smtp.username and smtp.password_file)",
                            st.code());
  }
  co_return Status();
}

// MAIL FROM and RCPT TO (pipelined when the server allows): one result per
// recipient, or the error that ended the transaction.
asio::awaitable<Result<SendReport>> envelope(Wire& s, const Caps& caps, const Envelope& env,
                                             std::uint64_t wire_size) {
  std::string mail_from = "MAIL FROM:<" + env.from + ">";
  if (auto size = caps.find("SIZE"); size != caps.end()) {
    std::uint64_t limit = size->second.empty() ? 0 : std::strtoull(size->second.c_str(), nullptr, 10);
    if (limit != 0 && wire_size > limit) {
      co_return Status::error(ErrorKind::kLimit,
                              "smtp: message of " + std::to_string(wire_size) +
                                  " bytes is over the server's SIZE limit of " + std::to_string(limit),
                              "smtp-size");
    }
    mail_from += " SIZE=" + std::to_string(wire_size);
  }
  mail_from += "\r\n";
  SendReport report;
  bool pipelining = caps.contains("PIPELINING");
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
  co_return report;
}

// DATA, the body chunk by chunk, the final dot and its reply.
// `abandoned`: set when the caller's hooks stopped it before the dot, with
// the body out and no dot: the connection cannot carry another message.
asio::awaitable<Status> data(Wire& s, MessageSource& message, std::uint64_t wire_size, const Envelope& env,
                             bool& abandoned) {
  REPORTD_TRY(co_await s.write("DATA\r\n", "DATA"));
  auto go = co_await s.read_reply("DATA");
  if (!go.ok()) co_return go.status();
  if (go->code != 354) co_return reply_error("DATA", *go);
  // Read from the source, stuff into `wire`, write, repeat. Stuffing state
  // (a line start, the last two bytes) carries across chunks. One deadline
  // covers the whole body, as if it were one write.
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
  abandoned = true;
  if (env.at_dot) REPORTD_TRY(co_await env.at_dot());
  if (env.before_dot && !env.before_dot()) {
    co_return Status::error(ErrorKind::kPermanent,
                            "smtp: message abandoned before its final dot (the run's lease is lost)",
                            store::kLeaseLost);
  }
  abandoned = false;
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
  co_return Status();
}

}  // namespace

struct SmtpSession::Open {
  Open(asio::any_io_executor ex, const SmtpConfig& cfg, asio::ssl::context ctx) : wire(ex, cfg, std::move(ctx)) {}
  Wire wire;
  Caps caps;
  bool used = false;  // a transaction ran: RSET before the next
};

SmtpSession::SmtpSession(SmtpConfig config, crypto::SecureBuffer password)
    : config_(std::move(config)), password_(std::move(password)) {}

SmtpSession::~SmtpSession() = default;

asio::awaitable<Status> SmtpSession::open() {
  auto ctx = smtp_wire::make_tls_context(config_);
  if (!ctx.ok()) co_return ctx.status();
  auto o = std::make_unique<Open>(co_await asio::this_coro::executor, config_, std::move(*ctx));
  ++connections_opened_;
  Wire& s = o->wire;
  REPORTD_TRY(co_await s.connect());
  if (config_.tls == SmtpTls::kImplicit) REPORTD_TRY(co_await s.handshake());
  auto greet = co_await s.read_reply("greeting");
  if (!greet.ok()) co_return greet.status();
  if (greet->code != 220) co_return reply_error("greeting", *greet);
  auto caps = co_await ehlo(s, config_.helo_name);
  if (!caps.ok()) co_return caps.status();
  if (config_.tls == SmtpTls::kStartTls) {
    if (!caps->contains("STARTTLS")) {
      co_return Status::error(ErrorKind::kPermanent,
                              "smtp: " + config_.host + " does not offer STARTTLS; refusing to send in clear "
                              "(use tls = \"implicit\" on port 465 if the server expects it)",
                              "smtp-no-starttls");
    }
    REPORTD_TRY(co_await s.write("STARTTLS\r\n", "STARTTLS"));
    auto r = co_await s.read_reply("STARTTLS");
    if (!r.ok()) co_return r.status();
    if (r->code != 220) co_return reply_error("STARTTLS", *r);
    s.discard_buffered();
    REPORTD_TRY(co_await s.handshake());
    caps = co_await ehlo(s, config_.helo_name);  // capabilities learnt in clear are void
    if (!caps.ok()) co_return caps.status();
  }
  if (!config_.username.empty()) REPORTD_TRY(co_await authenticate(s, config_, password_, *caps));
  o->caps = std::move(*caps);
  open_ = std::move(o);
  co_return Status();
}

// RSET on a connection that carried a transaction; a connection that fails
// it (the relay closed it while idle, say) is dropped for a new one.
asio::awaitable<Status> SmtpSession::reset() {
  if (!open_ || !open_->used) co_return Status();
  Status st = co_await open_->wire.write("RSET\r\n", "RSET");
  if (st.ok()) {
    auto r = co_await open_->wire.read_reply("RSET");
    if (r.ok() && r->code == 250) {
      open_->used = false;
      co_return Status();
    }
  }
  open_.reset();
  co_return Status();
}

asio::awaitable<Result<SendReport>> SmtpSession::send(Envelope env, MessageSource& message) {
  if (Status st = validate(config_); !st.ok()) co_return st;
  REPORTD_TRY(validate_address(env.from));
  for (const auto& to : env.to) REPORTD_TRY(validate_address(to));
  if (env.to.empty()) co_return Status::error(ErrorKind::kInvalidArgument, "smtp: no recipients");
  (void)co_await reset();
  if (!open_) {
    if (Status st = co_await open(); !st.ok()) {
      open_.reset();
      co_return st;
    }
  }
  Open& o = *open_;
  o.used = true;
  // Known before a byte of the body is read: the source computes it.
  const std::uint64_t wire_size = message.stuffed_size();
  auto report = co_await envelope(o.wire, o.caps, env, wire_size);
  bool any = false;
  if (report.ok()) {
    for (const auto& r : report->recipients) any = any || r.outcome == RcptOutcome::kAccepted;
  }
  Status st = report.ok() ? Status() : report.status();
  bool abandoned = false;
  if (any) st = co_await data(o.wire, message, wire_size, env, abandoned);
  if (!st.ok()) {
    // A reply the step did not expect leaves the connection usable (RSET
    // next time); a network error or a missed deadline does not.
    if (o.wire.broken() || abandoned) open_.reset();  // mid-DATA: drop it
    co_return st;
  }
  co_return report;
}

asio::awaitable<Status> SmtpSession::connect() {
  if (Status st = validate(config_); !st.ok()) co_return st;
  if (open_) co_return Status();
  Status st = co_await open();
  if (!st.ok()) open_.reset();
  co_return st;
}

asio::awaitable<Result<std::string>> smtp_probe(SmtpConfig cfg, crypto::SecureBuffer password) {
  if (Status st = validate(cfg); !st.ok()) co_return st;
  std::string seen = cfg.tls == SmtpTls::kNone ? "answered (no TLS)"
                                               : "answered, TLS certificate verified for " + cfg.host;
  if (!cfg.username.empty()) seen += ", AUTH accepted";
  SmtpSession session(std::move(cfg), std::move(password));
  auto connecting = session.connect();
  if (Status st = co_await std::move(connecting); !st.ok()) co_return st;
  auto closing = session.close();
  co_await std::move(closing);
  co_return seen;
}

asio::awaitable<void> SmtpSession::close() {
  if (!open_) co_return;
  std::unique_ptr<Open> o = std::move(open_);
  // Best effort: every message is already accepted or refused.
  if ((co_await o->wire.write("QUIT\r\n", "QUIT")).ok()) (void)co_await o->wire.read_reply("QUIT");
}

std::string dot_stuff(std::string_view m) {
  ChunkBuffer out(2 * m.size() + 2);
  DotStuffer stuffer;
  stuffer.feed(m, out);
  stuffer.finish(out);
  return std::string(out.view());
}

asio::awaitable<Result<SendReport>> smtp_send(SmtpConfig cfg, crypto::SecureBuffer password, Envelope env,
                                              MessageSource& message) {
  SmtpSession session(std::move(cfg), std::move(password));
  auto report = co_await session.send(std::move(env), message);
  co_await session.close();
  co_return report;
}

}  // namespace reportd::deliver
