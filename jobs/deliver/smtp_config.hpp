#pragma once
// SmtpConfig: the [smtp] table of the config file (read by
// daemon/config.cpp), validated once and passed as const& (or by value into
// coroutines). Plain data; any thread.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/secure_buffer.hpp"
#include "table/status.hpp"


namespace reportd::deliver {

// How the relay connection is protected. The config file says "implicit"
// (TLS from the first byte, port 465), "starttls" (plain, then STARTTLS
// before anything else, port 587) or "none" (a loopback relay only).
enum class SmtpTls { kImplicit, kStartTls, kNone };

std::string_view to_string(SmtpTls tls);
// kInvalidArgument naming the value and the three allowed ones:
// "smtp.tls: \"ssl\" is not a TLS mode; use ...".
Result<SmtpTls> smtp_tls_from(std::string_view text);

struct SmtpConfig {
  std::string host;                // relay host; the certificate must name it
  std::uint16_t port = 587;        // 465 for kImplicit, 25 for kNone
  SmtpTls tls = SmtpTls::kStartTls;
  std::string username;            // empty: no AUTH
  std::string password_file;       // file holding the password; relative paths are
                                   // looked up in $CREDENTIALS_DIRECTORY
  std::string from;                // envelope and header From address
  std::string from_name = "reportd";  // display name of From
  std::string ca_file;             // PEM bundle to trust; empty: the system store
  std::string helo_name = "localhost";  // name sent with EHLO
  std::chrono::seconds step_timeout{60};  // deadline for each SMTP step
  std::uint64_t max_message_bytes = 20ull << 20;  // larger messages use the fallback
};

// Ok, or kInvalidArgument naming the key: "smtp.tls: \"none\" is allowed only ...".
Status validate(const SmtpConfig& config);

// Reads the password (trailing newline dropped). Refuses a file that group or
// others can read.
Result<crypto::SecureBuffer> read_smtp_password(const SmtpConfig& config);

// True for "localhost", 127.0.0.0/8 and ::1.
bool is_loopback_host(std::string_view host);

}  // namespace reportd::deliver
