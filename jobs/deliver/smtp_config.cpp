#include "jobs/deliver/smtp_config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/ip/address.hpp>
#include <cstdlib>
#include <toml++/toml.h>

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

bool is_loopback_host(std::string_view host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(std::string(host), ec);
  return !ec && addr.is_loopback();
}

Status validate(const SmtpConfig& c) {
  if (c.host.empty()) return bad("host", "is required (the SMTP relay's host name)");
  if (c.port == 0) return bad("port", "must be 1-65535");
  if (c.tls != "implicit" && c.tls != "starttls" && c.tls != "none") {
    return bad("tls", "must be \"implicit\" (port 465), \"starttls\" (port 587) or \"none\"");
  }
  if (c.tls == "none" && !is_loopback_host(c.host)) {
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

Result<SmtpConfig> smtp_config_from_toml(const toml::table& t) {
  SmtpConfig c;
  for (const auto& [key, node] : t) {
    std::string_view k = key.str();
    auto str = [&](std::string& out) -> Status {
      auto v = node.value<std::string>();
      if (!v) return bad(k, "must be a string");
      out = *v;
      return {};
    };
    auto num = [&](std::int64_t lo, std::int64_t hi) -> Result<std::int64_t> {
      auto v = node.value<std::int64_t>();
      if (!v || *v < lo || *v > hi) {
        return bad(k, "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
      }
      return *v;
    };
    Status st;
    if (k == "host") st = str(c.host);
    else if (k == "tls") st = str(c.tls);
    else if (k == "username") st = str(c.username);
    else if (k == "password_file") st = str(c.password_file);
    else if (k == "from") st = str(c.from);
    else if (k == "from_name") st = str(c.from_name);
    else if (k == "ca_file") st = str(c.ca_file);
    else if (k == "helo_name") st = str(c.helo_name);
    else if (k == "port") {
      auto v = num(1, 65535);
      if (!v.ok()) return v.status();
      c.port = static_cast<std::uint16_t>(*v);
    } else if (k == "timeout_seconds") {
      auto v = num(1, 3600);
      if (!v.ok()) return v.status();
      c.step_timeout = std::chrono::seconds(*v);
    } else if (k == "max_message_bytes") {
      auto v = num(1024, std::int64_t{1} << 40);
      if (!v.ok()) return v.status();
      c.max_message_bytes = static_cast<std::uint64_t>(*v);
    } else {
      return bad(k, "unknown key (expected host, port, tls, username, password_file, from, "
                    "from_name, ca_file, helo_name, timeout_seconds, max_message_bytes)");
    }
    if (!st.ok()) return st;
  }
  if (!t.contains("port")) c.port = c.tls == "implicit" ? 465 : (c.tls == "none" ? 25 : 587);
  if (Status st = validate(c); !st.ok()) return st;
  return c;
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
