#include "salesforce_client/oauth.hpp"

#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include <boost/json.hpp>
#include <memory>

#include "b64url_decode.hpp"

using namespace reportd;
using namespace reportd::salesforce;

namespace {
using reportd::salesforce::testing::b64url_decode;
}  // namespace

TEST_CASE("oauth: base64url without padding") {
  CHECK(base64url("") == "");
  CHECK(base64url("f") == "Zg");
  CHECK(base64url("fo") == "Zm8");
  CHECK(base64url("foo") == "Zm9v");
  CHECK(base64url("\xfb\xff") == "-_8");
}

TEST_CASE("oauth: PKCE challenge is base64url(SHA-256(verifier))") {
  Pkce p = make_pkce();
  CHECK(p.verifier.size() == 128);
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(p.verifier.data()), p.verifier.size(), d);
  CHECK(p.challenge == base64url(std::string_view(reinterpret_cast<char*>(d), sizeof d)));
  CHECK(make_pkce().verifier != p.verifier);
  const std::string url = authorize_url("https://login.salesforce.com/", "cid", "https://h/cb",
                                        "api refresh_token", "st", p.challenge);
  CHECK(url ==
        "https://login.salesforce.com/services/oauth2/authorize?response_type=code"
        "&client_id=cid&redirect_uri=https%3A%2F%2Fh%2Fcb&scope=api%20refresh_token"
        "&state=st&code_challenge=" +
            p.challenge + "&code_challenge_method=S256");
  CHECK(code_exchange_body("c0de", "cid", "", "https://h/cb", "ver") ==
        "grant_type=authorization_code&code=c0de&client_id=cid&redirect_uri=https%3A%2F%2Fh%2Fcb"
        "&code_verifier=ver");
}

TEST_CASE("oauth: refresh grant body and token response") {
  CHECK(refresh_grant_body("id", "sec", "5Aep+/=") ==
        "grant_type=refresh_token&refresh_token=5Aep%2B%2F%3D&client_id=id&client_secret=sec");
  auto t = parse_token_response(
      R"({"access_token":"00D!x","instance_url":"https://i","id":"https://l/id/00D/005",
          "issued_at":"1278448832702","refresh_token":"new","extra":1})");
  REQUIRE(t.ok());
  CHECK(t.value().access_token == "00D!x");
  CHECK(t.value().refresh_token == "new");
  auto bad = parse_token_response(R"({"instance_url":"https://i","refresh_token":"SECRET"})");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("SECRET") == std::string::npos);
}

TEST_CASE("oauth: JWT bearer assertion is RS256 and verifies with the public key") {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(2048), &EVP_PKEY_free);
  REQUIRE(key);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  REQUIRE(PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr));
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  std::string pem(data, static_cast<std::size_t>(len));

  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  auto jwt =
      make_jwt_assertion(pem, "cid", "user@example.com", "https://login.salesforce.com", now);
  REQUIRE(jwt.ok());
  const std::string& s = jwt.value();
  auto dot1 = s.find('.'), dot2 = s.rfind('.');
  REQUIRE(dot1 != dot2);
  auto claims = boost::json::parse(b64url_decode(s.substr(dot1 + 1, dot2 - dot1 - 1)));
  CHECK(claims.at("iss") == "cid");
  CHECK(claims.at("sub") == "user@example.com");
  CHECK(claims.at("aud") == "https://login.salesforce.com");
  CHECK(claims.at("exp").to_number<std::int64_t>() == 1700000180);
  CHECK(boost::json::parse(b64url_decode(s.substr(0, dot1))).at("alg") == "RS256");

  std::string sig = b64url_decode(s.substr(dot2 + 1));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  REQUIRE(EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) == 1);
  CHECK(EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                         reinterpret_cast<const unsigned char*>(s.data()), dot2) == 1);
  CHECK(jwt_bearer_body("a.b.c") ==
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=a.b.c");
  CHECK(make_jwt_assertion("not a key", "c", "u", "a", now).status().code() == "jwt-key");
}
