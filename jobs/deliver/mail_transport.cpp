#include "jobs/deliver/mail_transport.hpp"

namespace reportd::deliver {
namespace {

// Each message on its own, through the transport's send().
class EachOnItsOwn final : public MailSession {
 public:
  explicit EachOnItsOwn(MailTransport& transport) : transport_(transport) {}
  boost::asio::awaitable<Result<SendReport>> send(Envelope envelope, MessageSource& message) override {
    co_return co_await transport_.send(std::move(envelope), message);
  }
  boost::asio::awaitable<void> close() override { co_return; }

 private:
  MailTransport& transport_;
};

// SmtpSession behind the interface; or, when the password file could not be
// read, the reason, for every send.
class SmtpMailSession final : public MailSession {
 public:
  SmtpMailSession(const SmtpConfig& config, Result<crypto::SecureBuffer> password)
      : error_(password.ok() ? Status() : password.status()),
        session_(config, password.ok() ? std::move(password).value() : crypto::SecureBuffer()) {}
  boost::asio::awaitable<Result<SendReport>> send(Envelope envelope, MessageSource& message) override {
    if (!error_.ok()) co_return error_;
    co_return co_await session_.send(std::move(envelope), message);
  }
  boost::asio::awaitable<void> close() override { co_await session_.close(); }

 private:
  Status error_;
  SmtpSession session_;
};

}  // namespace

std::unique_ptr<MailSession> MailTransport::session() { return std::make_unique<EachOnItsOwn>(*this); }

boost::asio::awaitable<Result<SendReport>> SmtpTransport::send(Envelope envelope, MessageSource& message) {
  auto password = read_smtp_password(config_);
  if (!password.ok()) co_return password.status();
  // Moved, not copied: the only copy is in secure memory, zeroed when freed.
  co_return co_await smtp_send(config_, std::move(password).value(), std::move(envelope), message);
}

std::unique_ptr<MailSession> SmtpTransport::session() {
  return std::make_unique<SmtpMailSession>(config_, read_smtp_password(config_));
}

}  // namespace reportd::deliver
