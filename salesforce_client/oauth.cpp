#include "salesforce_client/oauth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <memory>
#include <stdexcept>

#include "salesforce_client/http_message.hpp"
#include "table/wipe.hpp"

namespace reportd::salesforce {
namespace json = boost::json;

namespace {

std::string random_b64url(std::size_t n) {
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1)
    throw std::runtime_error("RAND_bytes failed");  // a broken RNG is fatal
  return base64url(bytes);
}

std::string take(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

void TokenResponse::wipe() {
  salesforce::wipe(access_token);
  salesforce::wipe(refresh_token);
}

std::string org_id_from_identity(std::string_view id_url) {
  auto at = id_url.find("/id/");
  if (at == std::string_view::npos) return {};
  std::string_view rest = id_url.substr(at + 4);
  std::string_view org = rest.substr(0, rest.find('/'));
  bool alnum = !org.empty() && std::all_of(org.begin(), org.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c));
  });
  if (!alnum || org.rfind("00D", 0) != 0 || (org.size() != 15 && org.size() != 18)) return {};
  return std::string(org);
}

bool same_org(std::string_view a, std::string_view b) {
  if (a.size() < 15 || b.size() < 15) return false;
  return a.substr(0, 15) == b.substr(0, 15);
}

std::string base64url(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto at = [&](std::size_t k) {
    return static_cast<unsigned>(static_cast<unsigned char>(bytes[k]));
  };
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (bytes.size() - i == 1) {
    const unsigned v = at(i) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (bytes.size() - i == 2) {
    const unsigned v = (at(i) << 16) | (at(i + 1) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

Result<TokenResponse> parse_token_response(std::string_view body) {
  json::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object())
    return Status::error(ErrorKind::kTransient, "salesforce: token response is not JSON",
                         "bad-token-response");
  const auto& o = v.get_object();
  TokenResponse t;
  t.access_token = take(o, "access_token");
  t.instance_url = take(o, "instance_url");
  t.id = take(o, "id");
  t.issued_at = take(o, "issued_at");
  t.refresh_token = take(o, "refresh_token");
  t.scope = take(o, "scope");
  // The parsed DOM held the tokens too; zero its strings before it goes.
  for (auto& kv : v.get_object())
    if (kv.value().is_string()) {
      auto& s = kv.value().get_string();
      if (!s.empty()) wipe_bytes(s.data(), s.size());
    }
  if (t.access_token.empty() || t.instance_url.empty()) {
    t.wipe();
    return Status::error(ErrorKind::kTransient,
                         "salesforce: token response lacks access_token or instance_url",
                         "bad-token-response");
  }
  return t;
}

std::string refresh_grant_body(std::string_view client_id, std::string_view client_secret,
                               std::string_view refresh_token) {
  std::vector<std::pair<std::string_view, std::string_view>> kv = {
      {"grant_type", "refresh_token"}, {"refresh_token", refresh_token}, {"client_id", client_id}};
  if (!client_secret.empty()) kv.emplace_back("client_secret", client_secret);
  return form_encode(kv);
}

Pkce make_pkce() {
  Pkce p;
  p.verifier = random_b64url(96);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(p.verifier.data()), p.verifier.size(), digest);
  p.challenge = base64url(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
  return p;
}

std::string make_state() { return random_b64url(24); }

std::string authorize_url(std::string_view login_url, std::string_view client_id,
                          std::string_view redirect_uri, std::string_view scope,
                          std::string_view state, std::string_view code_challenge) {
  std::string base(login_url);
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/services/oauth2/authorize?" +
         form_encode({{"response_type", "code"},
                      {"client_id", client_id},
                      {"redirect_uri", redirect_uri},
                      {"scope", scope},
                      {"state", state},
                      {"code_challenge", code_challenge},
                      {"code_challenge_method", "S256"}});
}

std::string code_exchange_body(std::string_view code, std::string_view client_id,
                               std::string_view client_secret, std::string_view redirect_uri,
                               std::string_view code_verifier) {
  std::vector<std::pair<std::string_view, std::string_view>> kv = {
      {"grant_type", "authorization_code"},
      {"code", code},
      {"client_id", client_id},
      {"redirect_uri", redirect_uri},
      {"code_verifier", code_verifier}};
  if (!client_secret.empty()) kv.emplace_back("client_secret", client_secret);
  return form_encode(kv);
}

Result<std::string> make_jwt_assertion(std::string_view private_key_pem, std::string_view client_id,
                                       std::string_view username, std::string_view audience,
                                       std::chrono::system_clock::time_point now) {
  using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;
  using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
  using CtxPtr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;
  BioPtr bio(BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size())),
             &BIO_free);
  KeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr,
             &EVP_PKEY_free);
  if (!key || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA)
    return Status::error(ErrorKind::kInvalidArgument,
                         "salesforce: JWT key is not an RSA private key in PEM", "jwt-key");
  const auto exp = std::chrono::duration_cast<std::chrono::seconds>(
                       (now + std::chrono::minutes(3)).time_since_epoch())
                       .count();
  json::object claims;
  claims["iss"] = client_id;
  claims["sub"] = username;
  claims["aud"] = audience;
  claims["exp"] = exp;
  std::string input =
      base64url(R"({"alg":"RS256"})") + "." + base64url(json::serialize(claims));
  CtxPtr ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  std::size_t sig_len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &sig_len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
    return Status::error(ErrorKind::kInternal, "salesforce: JWT signing failed", "jwt-sign");
  std::string sig(sig_len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &sig_len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
    return Status::error(ErrorKind::kInternal, "salesforce: JWT signing failed", "jwt-sign");
  sig.resize(sig_len);
  return input + "." + base64url(sig);
}

std::string jwt_bearer_body(std::string_view assertion) {
  return form_encode(
      {{"grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"}, {"assertion", assertion}});
}

}  // namespace reportd::salesforce
