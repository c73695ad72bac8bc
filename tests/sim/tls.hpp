// Test PKI of the simulator: a throw-away CA, a server certificate for
// 127.0.0.1/localhost signed by it, and the connected app's JWT key pair.
#pragma once

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace reportd::sim {

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

/// Everything generated at start-up. Owned by main for the process lifetime.
struct TlsMaterial {
  PkeyPtr ca_key;
  X509Ptr ca_cert;
  PkeyPtr server_key;
  X509Ptr server_cert;
  PkeyPtr jwt_key;   // RSA key the "connected app" trusts for JWT bearer
  X509Ptr jwt_cert;  // self-signed certificate of jwt_key (what an admin uploads)
};

/// Generates the CA, the server certificate (SAN IP:127.0.0.1, IP:::1,
/// DNS:localhost plus extra_host when it is not one of those, plus every
/// address of extra_ips) and the JWT key pair. Throws std::runtime_error on
/// OpenSSL failure.
TlsMaterial generate_tls(const std::string& extra_host, const std::vector<std::string>& extra_ips = {});

/// Many orgs: a connection to an address `ours` accepts is served a
/// certificate naming only that address (signed by the CA, the server key),
/// made on first use, as each Salesforce org's My Domain has its own; other
/// addresses get the default certificate. Thread-safe; outlives the server.
class AddressCerts {
 public:
  AddressCerts(const TlsMaterial& tls, std::function<bool(const std::string&)> ours);
  ~AddressCerts();
  AddressCerts(const AddressCerts&) = delete;
  AddressCerts& operator=(const AddressCerts&) = delete;
  void install(SSL_CTX& ctx);  // SSL_CTX_set_cert_cb

 private:
  static int select(SSL* ssl, void* self);
  X509* cert_for(const std::string& address);
  const TlsMaterial& tls_;
  std::function<bool(const std::string&)> ours_;
  std::mutex mu_;
  std::map<std::string, X509Ptr> certs_;
};

std::string to_pem(X509* cert);
std::string to_pem(EVP_PKEY* key);  // PKCS#8 private key, unencrypted

/// Verifies an RS256 signature over data with the public key of cert.
bool verify_rs256(X509* cert, const std::string& data, const std::string& signature);

}  // namespace reportd::sim
