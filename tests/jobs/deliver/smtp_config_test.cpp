#include "jobs/deliver/smtp_config.hpp"

#include <doctest/doctest.h>

#include "jobs/deliver/smtp_client.hpp"

namespace reportd::deliver {
namespace {

// Parsing the [smtp] table is tested with the config file
// (tests/daemon/config_test.cpp); validation of a built config here.

TEST_CASE("smtp config: validate names the key") {
  SmtpConfig c;
  c.host = "h.example.com";
  c.from = "a@example.com";
  CHECK(validate(c).ok());
  c.tls = SmtpTls::kNone;
  CHECK(validate(c).message().find("loopback") != std::string::npos);
  c.host = "127.0.0.1";
  CHECK(validate(c).ok());
  c.username = "u";
  CHECK(validate(c).message().rfind("smtp.password_file:", 0) == 0);
}

TEST_CASE("smtp config: the tls text forms, and a bad one named") {
  CHECK(smtp_tls_from("implicit").value() == SmtpTls::kImplicit);
  CHECK(smtp_tls_from("starttls").value() == SmtpTls::kStartTls);
  CHECK(smtp_tls_from("none").value() == SmtpTls::kNone);
  for (SmtpTls t : {SmtpTls::kImplicit, SmtpTls::kStartTls, SmtpTls::kNone}) {
    CHECK(smtp_tls_from(to_string(t)).value() == t);
  }
  Status bad = smtp_tls_from("ssl").status();
  CHECK(bad.kind() == ErrorKind::kInvalidArgument);
  CHECK(bad.message().rfind("smtp.tls: \"ssl\" is not a TLS mode", 0) == 0);
}

TEST_CASE("smtp: dot-stuffing doubles a leading dot on every line") {
  CHECK(dot_stuff(".a\r\nb\r\n..c\r\n.\r\n") == "..a\r\nb\r\n...c\r\n..\r\n");
  CHECK(dot_stuff("x") == "x\r\n");
}

}  // namespace
}  // namespace reportd::deliver
