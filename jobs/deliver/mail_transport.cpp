#include "jobs/deliver/mail_transport.hpp"

#include <algorithm>

namespace reportd::deliver {

boost::asio::awaitable<Result<SendReport>> SmtpTransport::send(Envelope envelope, MessageSource& message) {
  auto password = read_smtp_password(config_);
  if (!password.ok()) co_return password.status();
  auto r = co_await smtp_send(config_, *password, std::move(envelope), message);
  std::fill(password->begin(), password->end(), '\0');
  co_return r;
}

}  // namespace reportd::deliver
