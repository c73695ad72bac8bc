#include "jobs/deliver/smtp_config.hpp"

#include <doctest/doctest.h>

#include "jobs/deliver/smtp_client.hpp"

namespace reportd::deliver {
namespace {

Result<SmtpConfig> parse(std::string_view text) {
  auto t = toml::parse(text);
  return smtp_config_from_toml(*t["smtp"].as_table());
}

TEST_CASE("smtp config: a full table parses, ports default by tls mode") {
  auto c = parse(R"([smtp]
host = "smtp.example.com"
tls = "implicit"
username = "u"
password_file = "smtp-password"
from = "reports@example.com"
ca_file = "/etc/ssl/ca.pem")");
  REQUIRE(c.ok());
  CHECK(c->port == 465);
  CHECK(c->ca_file == "/etc/ssl/ca.pem");
  CHECK(parse("[smtp]\nhost = \"h.example.com\"\nfrom = \"a@example.com\"")->port == 587);
}

TEST_CASE("smtp config: errors name the key") {
  CHECK(parse("[smtp]\nfrom = \"a@example.com\"").status().message().rfind("smtp.host:", 0) == 0);
  CHECK(parse("[smtp]\nhost = \"h\"\nfrom = \"a@example.com\"\ntls = \"ssl\"").status().message().rfind(
            "smtp.tls:", 0) == 0);
  CHECK(parse("[smtp]\nhost = \"h\"\nfrom = \"a@example.com\"\nport = 70000").status().message().rfind(
            "smtp.port:", 0) == 0);
  CHECK(parse("[smtp]\nhost = \"h\"\nfrom = \"a@example.com\"\nusername = \"u\"").status().message().rfind(
            "smtp.password_file:", 0) == 0);
  CHECK(parse("[smtp]\nhost = \"h\"\nfrom = \"not an address\"").status().message().rfind("smtp.from:", 0) == 0);
  CHECK(parse("[smtp]\nhost = \"h\"\nfrom = \"a@example.com\"\npasword_file = \"x\"").status().message().rfind(
            "smtp.pasword_file: unknown key", 0) == 0);
}

TEST_CASE("smtp config: tls = none only for a loopback relay") {
  CHECK(parse("[smtp]\nhost = \"127.0.0.1\"\nfrom = \"a@example.com\"\ntls = \"none\"").ok());
  CHECK(parse("[smtp]\nhost = \"localhost\"\nfrom = \"a@example.com\"\ntls = \"none\"")->port == 25);
  auto remote = parse("[smtp]\nhost = \"smtp.example.com\"\nfrom = \"a@example.com\"\ntls = \"none\"");
  CHECK(remote.status().message().find("loopback") != std::string::npos);
}

TEST_CASE("smtp: dot-stuffing doubles a leading dot on every line") {
  CHECK(dot_stuff(".a\r\nb\r\n..c\r\n.\r\n") == "..a\r\nb\r\n...c\r\n..\r\n");
  CHECK(dot_stuff("x") == "x\r\n");
}

}  // namespace
}  // namespace reportd::deliver
