#include "jobs/deliver/mail_transport.hpp"


namespace reportd::deliver {

boost::asio::awaitable<Result<SendReport>> SmtpTransport::send(Envelope envelope, MessageSource& message) {
  auto password = read_smtp_password(config_);
  if (!password.ok()) co_return password.status();
  // Moved, not copied: the only copy is in secure memory, zeroed when freed.
  co_return co_await smtp_send(config_, std::move(password).value(), std::move(envelope), message);
}

}  // namespace reportd::deliver
