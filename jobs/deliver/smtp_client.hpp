#pragma once
// The SMTP client over Asio (C++20), with TLS (implicit or STARTTLS,
// certificate and host name verified), AUTH PLAIN or LOGIN, PIPELINING, SIZE,
// dot-stuffing and a deadline on every step. SmtpSession carries several
// transactions over one connection (RSET between); smtp_send() is one
// message on its own connection. Runs on the awaiting coroutine's executor.

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "jobs/deliver/message_source.hpp"
#include "jobs/deliver/smtp_config.hpp"
#include "table/status.hpp"

namespace reportd::deliver {

struct Envelope {
  std::string from;             // MAIL FROM
  std::vector<std::string> to;  // RCPT TO, one per recipient
  // Asked right before the final dot is written; false abandons the
  // message: the connection is closed without the dot, so the relay
  // discards it, and send() fails with code store::kLeaseLost. Empty: go on.
  std::function<bool()> before_dot;
  // Awaited after before_dot, right before the final dot is written: the
  // caller records durably that the message is about to leave (the delivery
  // ledger's count of unconfirmed dots). An error abandons the message as
  // before_dot does, with that error. Empty: go on.
  std::function<boost::asio::awaitable<Status>()> at_dot;
};

enum class RcptOutcome { kAccepted, kTransient, kPermanent };

struct RecipientResult {
  std::string address;
  RcptOutcome outcome = RcptOutcome::kAccepted;
  int code = 0;        // the server's reply code, e.g. 250, 451, 550
  std::string reply;   // the server's reply text (never holds record values)
};

// The result of a transaction that reached RCPT. Recipients marked
// kAccepted have the message (the server accepted DATA); the others do not.
struct SendReport {
  std::vector<RecipientResult> recipients;
};

// Sends `message` (CRLF lines, not yet dot-stuffed), chunk by chunk as the
// source yields it, dot-stuffing on the way; SIZE= is its stuffed_size().
// `message` must outlive the call: await it directly. A Status error means the
// transaction failed as a whole: kTransient (network, 4xx, deadline; code
// "smtp-unknown-outcome" when the connection dropped after the final dot, so
// the message may have been delivered), kPermanent (5xx, TLS refused), kAuth,
// kLimit (over the server's SIZE). `password` is used for AUTH only.
// The AUTH lines are built in secure memory too.
boost::asio::awaitable<Result<SendReport>> smtp_send(SmtpConfig config, crypto::SecureBuffer password,
                                                     Envelope envelope, MessageSource& message);

// One connection to the relay for several messages: connected, TLS and AUTH
// on the first send(), RSET before each later one, QUIT on close(). A send
// returns as soon as the relay answers the final dot, before any QUIT, so the
// caller can record the outcome while the duplicate window is at its
// narrowest (RFC 1047). A broken connection (network error, deadline, a
// failed RSET) is dropped and the next send() opens a new one. One coroutine
// at a time; each call is awaited directly. Destroying a session without
// close() drops the connection without QUIT.
class SmtpSession {
 public:
  // `config` must have passed validate(); `password` is used for AUTH only.
  SmtpSession(SmtpConfig config, crypto::SecureBuffer password);
  ~SmtpSession();
  SmtpSession(const SmtpSession&) = delete;
  SmtpSession& operator=(const SmtpSession&) = delete;

  // One transaction; errors and the report as for smtp_send(). `message`
  // must outlive the call.
  boost::asio::awaitable<Result<SendReport>> send(Envelope envelope, MessageSource& message);
  // Opens the connection now (connect, greeting, EHLO, TLS, AUTH) without a
  // transaction; a no-op when one is open. reportd doctor's probe.
  boost::asio::awaitable<Status> connect();
  // QUIT and its reply (bounded by the step timeout), then close. Never
  // fails; a no-op when no connection is open.
  boost::asio::awaitable<void> close();
  // Connections opened so far (tests: 1 when every message shared one).
  int connections_opened() const { return connections_opened_; }

 private:
  struct Open;
  boost::asio::awaitable<Status> open();
  boost::asio::awaitable<Status> reset();

  SmtpConfig config_;
  crypto::SecureBuffer password_;
  std::unique_ptr<Open> open_;  // null: no connection
  int connections_opened_ = 0;
};

// Connects, reads the greeting, says EHLO, does STARTTLS or implicit TLS as
// configured (certificate and host name verified) and AUTH, then QUIT:
// sends no message. Ok with what it saw ("answered, TLS certificate verified
// for HOST, AUTH accepted"), else the error smtp_send would give there.
boost::asio::awaitable<Result<std::string>> smtp_probe(SmtpConfig config, crypto::SecureBuffer password);

// "." at the start of a line becomes ".."; the message gains a final CRLF if
// it lacks one. The whole-message form of DotStuffer, for tests.
std::string dot_stuff(std::string_view message);

}  // namespace reportd::deliver
