#pragma once
// `reportd mail test --to ADDR`: renders a small sample report (CSV and XLSX)
// and sends it through the configured relay, so operators can check their
// [smtp] settings. Rendering blocks briefly (20 rows); runs on the awaiting
// coroutine's executor.

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>

#include "jobs/deliver/smtp_client.hpp"
#include "jobs/deliver/smtp_config.hpp"
#include "jobs/render/scratch.hpp"

namespace reportd::deliver {

// Ok when the relay accepted the message for `to`; otherwise the error says
// which step failed (connect, TLS, AUTH, RCPT...) and what to check.
boost::asio::awaitable<Status> send_test_mail(SmtpConfig config, std::string to, std::int64_t now_ms,
                                              render::ScratchOptions scratch_options);

}  // namespace reportd::deliver
