#include "salesforce_client/jwt_key.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <memory>

namespace reportd::salesforce {
namespace {

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;
using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertPtr = std::unique_ptr<X509, decltype(&X509_free)>;

BioPtr memory_bio(std::string_view pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
}

std::string colon_hex(const unsigned char* digest, std::size_t n) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out += ':';
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

std::string sha256_of(const unsigned char* der, int len) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(der, static_cast<std::size_t>(len), d);
  return colon_hex(d, sizeof d);
}

// SHA-256 of the DER SubjectPublicKeyInfo of `key`.
std::string public_key_sha256(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key, &der);
  if (len <= 0) return {};
  std::string out = sha256_of(der, len);
  OPENSSL_free(der);
  return out;
}

Status bad_key(std::string what) {
  return Status::error(ErrorKind::kInvalidArgument, std::move(what), "jwt-key");
}

std::string lower_host(std::string_view url) {
  std::string_view rest = url;
  if (auto at = rest.find("://"); at != std::string_view::npos) rest.remove_prefix(at + 3);
  rest = rest.substr(0, rest.find_first_of("/:?#"));
  std::string host(rest);
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return host;
}

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

}  // namespace

Result<JwtKeyInfo> check_jwt_key(std::string_view private_key_pem, std::string_view cert_pem) {
  BioPtr bio = memory_bio(private_key_pem);
  // A null passphrase callback with no user data: an encrypted key fails
  // here instead of prompting on the terminal.
  KeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, const_cast<char*>(""))
                 : nullptr,
             &EVP_PKEY_free);
  if (!key) {
    return bad_key("the JWT key file is not an unencrypted private key in PEM (expected "
               "-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----)");
  }
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) {
    return bad_key("the JWT key is not an RSA key; Salesforce's JWT bearer flow signs with RS256");
  }
  JwtKeyInfo info;
  info.key_sha256 = public_key_sha256(key.get());
  if (cert_pem.empty()) return info;
  BioPtr cbio = memory_bio(cert_pem);
  CertPtr cert(cbio ? PEM_read_bio_X509(cbio.get(), nullptr, nullptr, nullptr) : nullptr,
               &X509_free);
  if (!cert) return bad_key("the certificate file is not an X.509 certificate in PEM");
  EVP_PKEY* cert_key = X509_get0_pubkey(cert.get());
  if (cert_key == nullptr || EVP_PKEY_eq(cert_key, key.get()) != 1) {
    return bad_key("the certificate is not of the JWT key: Salesforce would refuse every "
               "assertion (\"invalid assertion\"); give the certificate made from this key");
  }
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert.get(), &der);
  if (len <= 0) return bad_key("the certificate cannot be encoded");
  info.cert_sha256 = sha256_of(der, len);
  OPENSSL_free(der);
  return info;
}

std::string jwt_audience(std::string_view login_url) {
  const std::string host = lower_host(login_url);
  if (host == "test.salesforce.com" || ends_with(host, ".sandbox.my.salesforce.com")) {
    return "https://test.salesforce.com";
  }
  if (host == "login.salesforce.com" || ends_with(host, ".my.salesforce.com")) {
    return "https://login.salesforce.com";
  }
  std::string out(login_url);
  while (!out.empty() && out.back() == '/') out.pop_back();
  return out;
}

}  // namespace reportd::salesforce
