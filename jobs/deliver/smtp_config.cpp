#include "jobs/deliver/smtp_config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/ip/address.hpp>
#include <cstdlib>

#include "jobs/deliver/mime.hpp"

namespace reportd::deliver {
namespace {

Status bad(std::string_view key, std::string_view why) {
  return Status::error(ErrorKind::kInvalidArgument, "smtp." + std::string(key) + ": " + std::string(why),
                       "config");
}

std::string resolve_password_path(const std::string& p) {
  if (p.empty() || p.front() == '/') return p;
  if (const char* dir = std::getenv("CREDENTIALS_DIRECTORY"); dir != nullptr && *dir != '\0') {
    return std::string(dir) + "/" + p;
  }
  return p;
}

}  // namespace

std::string_view to_string(SmtpTls tls) {
  switch (tls) {
    case SmtpTls::kImplicit:
      return "implicit";
    case SmtpTls::kStartTls:
      return "starttls";
    case SmtpTls::kNone:
      return "none";
  }
  return "unknown";
}

Result<SmtpTls> smtp_tls_from(std::string_view text) {
  for (SmtpTls t : {SmtpTls::kImplicit, SmtpTls::kStartTls, SmtpTls::kNone}) {
    if (to_string(t) == text) return t;
  }
  return bad("tls", "\"" + std::string(text) +
                        "\" is not a TLS mode; use \"implicit\" (port 465), \"starttls\" (port 587) "
                        "or \"none\"");
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(std::string(host), ec);
  return !ec && addr.is_loopback();
}

Status validate(const SmtpConfig& c) {
  if (c.host.empty()) return bad("host", "is required (the SMTP relay's host name)");
  if (c.port == 0) return bad("port", "must be 1-65535");
  if (c.tls == SmtpTls::kNone && !is_loopback_host(c.host)) {
    return bad("tls", "\"none\" is allowed only for a relay on loopback (localhost, 127.0.0.1, ::1); "
                      "use \"starttls\" or \"implicit\"");
  }
  if (!c.username.empty() && c.password_file.empty()) {
    return bad("password_file", "is required when smtp.username is set");
  }
  if (c.username.find_first_of(std::string_view("\0\r\n", 3)) != std::string::npos) {
    return bad("username", "must not contain control characters");
  }
  if (Status st = validate_address(c.from); !st.ok()) return bad("from", st.message());
  if (c.helo_name.empty() || c.helo_name.find_first_of(" \r\n\t") != std::string::npos) {
    return bad("helo_name", "must be a host name without spaces");
  }
  if (c.step_timeout.count() <= 0) return bad("timeout_seconds", "must be positive");
  if (c.max_message_bytes < 1024) return bad("max_message_bytes", "must be at least 1024");
  return {};
}

Result<crypto::SecureBuffer> read_smtp_password(const SmtpConfig& c) {
  if (c.password_file.empty()) return crypto::SecureBuffer();
  std::string path = resolve_password_path(c.password_file);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Status::error(ErrorKind::kInvalidArgument, "smtp.password_file: cannot read " + path, "config");
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return Status::error(ErrorKind::kInvalidArgument,
                         "smtp.password_file: " + path + " is readable by group or others; chmod 600 it",
                         "config");
  }
  // Read straight into secure memory: no stream buffer or string copy of the
  // password is left behind.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status::error(ErrorKind::kInvalidArgument, "smtp.password_file: cannot read " + path, "config");
  }
  constexpr std::size_t kMaxPassword = 4096;
  Result<crypto::SecureBuffer> read = crypto::read_secure(fd, kMaxPassword + 1);
  ::close(fd);
  if (!read.ok()) {
    return Status::error(ErrorKind::kInvalidArgument,
                         "smtp.password_file: cannot read " + path + ": " + read.status().message(), "config");
  }
  crypto::SecureBuffer pw = std::move(read).value();
  std::size_t got = pw.size();
  if (got > kMaxPassword) {
    return Status::error(ErrorKind::kInvalidArgument,
                         "smtp.password_file: " + path + " is longer than 4 KiB", "config");
  }
  while (got > 0 && (pw.data()[got - 1] == '\n' || pw.data()[got - 1] == '\r')) --got;
  pw.truncate(got);
  return pw;
}

}  // namespace reportd::deliver
