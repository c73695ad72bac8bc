// The SMTP client's TLS context: verified against smtp.ca_file alone or the
// system's CAs, with one trust store per CA file for the whole process.
#include <doctest/doctest.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "jobs/deliver/smtp_wire.hpp"

namespace reportd::deliver {
namespace {

const char* kSystemBundle = "/etc/ssl/certs/ca-certificates.crt";

X509_STORE* store_of(boost::asio::ssl::context& ctx) {
  return SSL_CTX_get_cert_store(ctx.native_handle());
}

int objects(X509_STORE* store) { return sk_X509_OBJECT_num(X509_STORE_get0_objects(store)); }

std::string temp_path(const char* name) {
  return (std::filesystem::temp_directory_path() /
          ("reportd-smtp-tls-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

// The first `n` certificates of the system bundle, as a CA file.
std::string some_cas(int n) {
  const std::string path = temp_path("ca.pem");
  std::FILE* in = std::fopen(kSystemBundle, "r");
  std::FILE* out = std::fopen(path.c_str(), "w");
  REQUIRE(in != nullptr);
  REQUIRE(out != nullptr);
  for (int i = 0; i < n; ++i) {
    X509* cert = PEM_read_X509(in, nullptr, nullptr, nullptr);
    REQUIRE(cert != nullptr);
    PEM_write_X509(out, cert);
    X509_free(cert);
  }
  std::fclose(in);
  std::fclose(out);
  return path;
}

TEST_CASE("smtp tls: connections share one trust store per ca_file, holding that file alone") {
  if (!std::filesystem::exists(kSystemBundle)) return;
  SmtpConfig system;
  auto a = smtp_wire::make_tls_context(system);
  auto b = smtp_wire::make_tls_context(system);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(store_of(*a) == store_of(*b));

  SmtpConfig pinned;
  pinned.ca_file = some_cas(2);
  auto c = smtp_wire::make_tls_context(pinned);
  auto d = smtp_wire::make_tls_context(pinned);
  REQUIRE(c.ok());
  REQUIRE(d.ok());
  CHECK(store_of(*c) == store_of(*d));
  CHECK(store_of(*c) != store_of(*a));
  // The relay's CA file replaces the system's CAs: its two certificates are
  // all the store holds, and no hashed directory is looked in.
  CHECK(objects(store_of(*c)) == 2);
  std::filesystem::remove(pinned.ca_file);
}

TEST_CASE("smtp tls: a ca_file that is not PEM is named, with the fix") {
  SmtpConfig c;
  c.ca_file = temp_path("junk.pem");
  std::ofstream(c.ca_file) << "not a certificate\n";
  auto ctx = smtp_wire::make_tls_context(c);
  REQUIRE_FALSE(ctx.ok());
  CHECK(ctx.status().kind() == ErrorKind::kInvalidArgument);
  CHECK(ctx.status().message().rfind("smtp.ca_file: cannot load ca_file " + c.ca_file, 0) == 0);
  CHECK(ctx.status().message().find("expected PEM certificates") != std::string::npos);
  std::filesystem::remove(c.ca_file);
}

}  // namespace
}  // namespace reportd::deliver
