#pragma once
// MailTransport: how the run pipeline sends messages; SmtpTransport is the
// real one (SMTP with the configured relay), tests use fakes. Lives on the
// event loop's executor; send() is a coroutine with per-step deadlines.
// Messages come as a MessageSource, read chunk by chunk: a report attachment
// is never copied whole into the message.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "jobs/deliver/message_source.hpp"
#include "jobs/deliver/smtp_client.hpp"
#include "jobs/deliver/smtp_config.hpp"

namespace reportd::deliver {

// One recipient recorded `sent`, timed: where a kill would have made the one
// duplicate RFC 1047 allows. Wall-clock times (microseconds since the epoch)
// so that they line up with the relay's own log.
struct SentTiming {
  std::string message_id;
  std::int64_t dot_at_us = 0;   // the final dot about to be written
  std::int64_t read_at_us = 0;  // the relay's 250 to it read
  std::chrono::microseconds commit{0};  // that 250 read -> the ledger's `sent` durable (store thread)
  std::chrono::microseconds queue{0};   // of which: the 250 read -> the write started (work ahead of it)
  std::chrono::microseconds write{0};   // and: the write started -> its commit returned
  std::chrono::microseconds resume{0};  // after it: the commit returned -> the run went on (event loop)
};

// Several messages in a row, over one relay connection where the transport
// can: one run's recipients. A send() returns as soon as the relay answered
// the message's final dot, so the caller records it before anything else
// happens on the wire. One coroutine at a time; calls are awaited directly.
class MailSession {
 public:
  virtual ~MailSession() = default;
  // As MailTransport::send(). `message` must outlive the call.
  virtual boost::asio::awaitable<Result<SendReport>> send(Envelope envelope, MessageSource& message) = 0;
  // Ends the session (QUIT); best effort, never fails. A session destroyed
  // without it drops its connection.
  virtual boost::asio::awaitable<void> close() = 0;
};

class MailTransport {
 public:
  virtual ~MailTransport() = default;
  // One message on its own. See smtp_send() for what a Status error and the
  // report mean. `message` must outlive the call: await it directly.
  virtual boost::asio::awaitable<Result<SendReport>> send(Envelope envelope, MessageSource& message) = 0;
  // The largest message this transport should be given (before fallback).
  virtual std::uint64_t max_message_bytes() const = 0;
  // A session for several messages. The default calls send() for each; the
  // transport must outlive the session.
  virtual std::unique_ptr<MailSession> session();
};

class SmtpTransport final : public MailTransport {
 public:
  // `config` must have passed validate(). The password file is read on each
  // send and for each session, so a rotated password needs no restart.
  explicit SmtpTransport(SmtpConfig config) : config_(std::move(config)) {}
  boost::asio::awaitable<Result<SendReport>> send(Envelope envelope, MessageSource& message) override;
  std::uint64_t max_message_bytes() const override { return config_.max_message_bytes; }
  // One SMTP connection for all the session's messages (SmtpSession).
  std::unique_ptr<MailSession> session() override;
  const SmtpConfig& config() const { return config_; }

 private:
  SmtpConfig config_;
};

}  // namespace reportd::deliver
