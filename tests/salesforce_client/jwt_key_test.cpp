// The JWT bearer assertion and key checks against an independent verifier:
// the `openssl` command line makes the key pair and the certificate and
// verifies the signature; reportd's code only signs and reads.
#include "salesforce_client/jwt_key.hpp"

#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <stdlib.h>

#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "b64url_decode.hpp"
#include "salesforce_client/oauth.hpp"

using namespace reportd;
using namespace reportd::salesforce;
namespace fs = std::filesystem;

namespace {

using reportd::salesforce::testing::b64url_decode;

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void spill(const fs::path& p, std::string_view bytes) {
  std::ofstream f(p, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Output of a shell command (stdout), or "!rc" when it failed.
std::string sh(const std::string& cmd) {
  std::string out;
  FILE* p = popen((cmd + " 2>/dev/null").c_str(), "r");
  if (p == nullptr) return "!popen";
  char buf[512];
  while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int rc = pclose(p);
  return rc == 0 ? out : "!" + std::to_string(rc);
}

// A key pair and certificate made by the openssl command line.
struct OpensslKeys {
  fs::path dir;
  std::string key_pem, cert_pem;
  OpensslKeys() {
    char tmpl[] = "/tmp/reportd-jwt-XXXXXX";
    dir = mkdtemp(tmpl);
    const std::string d = dir.string();
    sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " + d + "/key.pem");
    sh("openssl req -x509 -new -key " + d + "/key.pem -subj /CN=reportd-test -days 2 -out " + d +
       "/cert.pem");
    sh("openssl pkey -in " + d + "/key.pem -pubout -out " + d + "/pub.pem");
    key_pem = slurp(dir / "key.pem");
    cert_pem = slurp(dir / "cert.pem");
  }
  ~OpensslKeys() { fs::remove_all(dir); }
};

const OpensslKeys& keys() {
  static const OpensslKeys k;
  return k;
}

}  // namespace

TEST_CASE("jwt: the audience follows the login URL (production, sandbox, My Domain, site)") {
  CHECK(jwt_audience("https://login.salesforce.com") == "https://login.salesforce.com");
  CHECK(jwt_audience("https://login.salesforce.com/") == "https://login.salesforce.com");
  CHECK(jwt_audience("https://test.salesforce.com") == "https://test.salesforce.com");
  CHECK(jwt_audience("https://ACME.my.salesforce.com") == "https://login.salesforce.com");
  CHECK(jwt_audience("https://acme--uat.sandbox.my.salesforce.com/") ==
        "https://test.salesforce.com");
  CHECK(jwt_audience("https://acme.my.site.com/customers/") ==
        "https://acme.my.site.com/customers");
  CHECK(jwt_audience("https://127.0.0.1:8443") == "https://127.0.0.1:8443");
}

TEST_CASE("jwt: the assertion's header, claims and expiry; openssl verifies the signature") {
  const OpensslKeys& k = keys();
  REQUIRE(k.key_pem.find("PRIVATE KEY") != std::string::npos);
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  auto jwt = make_jwt_assertion(k.key_pem, "3MVG9consumer", "ann@acme.example",
                                jwt_audience("https://acme--uat.sandbox.my.salesforce.com"), now);
  REQUIRE(jwt.ok());
  const std::string& s = jwt.value();
  const auto dot1 = s.find('.'), dot2 = s.rfind('.');
  REQUIRE(dot1 != dot2);
  CHECK(b64url_decode(s.substr(0, dot1)) == R"({"alg":"RS256"})");
  auto claims = boost::json::parse(b64url_decode(s.substr(dot1 + 1, dot2 - dot1 - 1)));
  CHECK(claims.at("iss") == "3MVG9consumer");
  CHECK(claims.at("sub") == "ann@acme.example");
  CHECK(claims.at("aud") == "https://test.salesforce.com");
  // Seconds, not milliseconds, and at most three minutes ahead.
  CHECK(claims.at("exp").to_number<std::int64_t>() == 1'800'000'180);
  CHECK(claims.as_object().size() == 4);

  spill(k.dir / "input", s.substr(0, dot2));
  spill(k.dir / "sig", b64url_decode(s.substr(dot2 + 1)));
  const std::string d = k.dir.string();
  CHECK(sh("openssl dgst -sha256 -verify " + d + "/pub.pem -signature " + d + "/sig " + d +
           "/input") == "Verified OK\n");
  // The verifier is not a rubber stamp: a changed claim fails.
  spill(k.dir / "input", s.substr(0, dot2 - 1) + "A");
  CHECK(sh("openssl dgst -sha256 -verify " + d + "/pub.pem -signature " + d + "/sig " + d +
           "/input")
            .rfind("!", 0) == 0);
}

TEST_CASE("jwt: key check gives the fingerprints openssl prints and refuses a foreign certificate") {
  const OpensslKeys& k = keys();
  auto info = check_jwt_key(k.key_pem, k.cert_pem);
  REQUIRE(info.ok());
  const std::string d = k.dir.string();
  std::string printed = sh("openssl x509 -noout -fingerprint -sha256 -in " + d + "/cert.pem");
  REQUIRE(printed.find('=') != std::string::npos);
  printed = printed.substr(printed.find('=') + 1);
  printed.pop_back();  // the newline
  CHECK(info->cert_sha256 == printed);
  CHECK(info->key_sha256.size() == 95);  // 32 bytes as AB:CD:...

  auto key_only = check_jwt_key(k.key_pem, "");
  REQUIRE(key_only.ok());
  CHECK(key_only->cert_sha256.empty());
  CHECK(key_only->key_sha256 == info->key_sha256);

  OpensslKeys other;
  auto foreign = check_jwt_key(k.key_pem, other.cert_pem);
  REQUIRE_FALSE(foreign.ok());
  CHECK(foreign.status().message().find("not of the JWT key") != std::string::npos);
  CHECK_FALSE(check_jwt_key(k.cert_pem, "").ok());
  CHECK(check_jwt_key("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n", "")
            .status()
            .code() == "jwt-key");
  sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " + d + "/ec.pem");
  auto ec = check_jwt_key(slurp(k.dir / "ec.pem"), "");
  REQUIRE_FALSE(ec.ok());
  CHECK(ec.status().message().find("not an RSA key") != std::string::npos);
  sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -aes256 -pass pass:pw -out " +
     d + "/enc.pem");
  CHECK_FALSE(check_jwt_key(slurp(k.dir / "enc.pem"), "").ok());
}
