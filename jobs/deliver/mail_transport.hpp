#pragma once
// MailTransport: how the run pipeline sends one message; SmtpTransport is the
// real one (smtp_send with the configured relay), tests use fakes. Lives on
// the event loop's executor; send() is a coroutine with per-step deadlines.
// Messages come as a MessageSource, read chunk by chunk: a report attachment
// is never copied whole into the message.

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>

#include "jobs/deliver/message_source.hpp"
#include "jobs/deliver/smtp_client.hpp"
#include "jobs/deliver/smtp_config.hpp"

namespace reportd::deliver {

class MailTransport {
 public:
  virtual ~MailTransport() = default;
  // See smtp_send() for what a Status error and the report mean. `message`
  // must outlive the call: await it directly.
  virtual boost::asio::awaitable<Result<SendReport>> send(Envelope envelope, MessageSource& message) = 0;
  // The largest message this transport should be given (before fallback).
  virtual std::uint64_t max_message_bytes() const = 0;
};

class SmtpTransport final : public MailTransport {
 public:
  // `config` must have passed validate(). The password file is read on each
  // send, so a rotated password needs no restart.
  explicit SmtpTransport(SmtpConfig config) : config_(std::move(config)) {}
  boost::asio::awaitable<Result<SendReport>> send(Envelope envelope, MessageSource& message) override;
  std::uint64_t max_message_bytes() const override { return config_.max_message_bytes; }
  const SmtpConfig& config() const { return config_; }

 private:
  SmtpConfig config_;
};

}  // namespace reportd::deliver
