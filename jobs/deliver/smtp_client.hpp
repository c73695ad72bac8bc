#pragma once
// The SMTP client: one coroutine per message over Asio (C++20), with TLS
// (implicit or STARTTLS, certificate and host name verified), AUTH PLAIN or
// LOGIN, PIPELINING, SIZE, dot-stuffing and a deadline on every step. Runs on
// the awaiting coroutine's executor; owns its socket for the call's duration.

#include <boost/asio/awaitable.hpp>
#include <string>
#include <vector>

#include "jobs/deliver/message_source.hpp"
#include "jobs/deliver/smtp_config.hpp"
#include "table/status.hpp"

namespace reportd::deliver {

struct Envelope {
  std::string from;             // MAIL FROM
  std::vector<std::string> to;  // RCPT TO, one per recipient
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

// Connects, reads the greeting, says EHLO, does STARTTLS or implicit TLS as
// configured (certificate and host name verified) and AUTH, then QUIT:
// sends no message. Ok with what it saw ("answered, TLS certificate verified
// for HOST, AUTH accepted"), else the error smtp_send would give there.
boost::asio::awaitable<Result<std::string>> smtp_probe(SmtpConfig config, crypto::SecureBuffer password);

// "." at the start of a line becomes ".."; the message gains a final CRLF if
// it lacks one. The whole-message form of DotStuffer, for tests.
std::string dot_stuff(std::string_view message);

}  // namespace reportd::deliver
