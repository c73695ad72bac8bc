#include "tls.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <stdexcept>

namespace reportd::sim {
namespace {

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("openssl: ") + what);
}

PkeyPtr make_ec_key() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  check(key != nullptr, "EVP_EC_gen");
  return key;
}

PkeyPtr make_rsa_key() {
  PkeyPtr key(EVP_RSA_gen(2048));
  check(key != nullptr, "EVP_RSA_gen");
  return key;
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  check(ext != nullptr, "X509V3_EXT_conf_nid");
  check(X509_add_ext(cert, ext, -1) == 1, "X509_add_ext");
  X509_EXTENSION_free(ext);
}

X509Ptr make_cert(EVP_PKEY* key, const std::string& cn, X509* issuer, EVP_PKEY* issuer_key) {
  X509Ptr cert(X509_new());
  check(cert != nullptr, "X509_new");
  check(X509_set_version(cert.get(), 2) == 1, "X509_set_version");
  unsigned char serial[16];
  check(RAND_bytes(serial, sizeof serial) == 1, "RAND_bytes");
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  check(bn != nullptr && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get())) != nullptr,
        "serial");
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 60L * 60 * 24 * 30);
  check(X509_set_pubkey(cert.get(), key) == 1, "X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("reportd-sfsim"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* signer = issuer != nullptr ? issuer : cert.get();
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) == 1, "issuer");
  add_ext(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (issuer != nullptr) add_ext(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
  (void)issuer_key;
  return cert;
}

void sign(X509* cert, EVP_PKEY* key) {
  check(X509_sign(cert, key, EVP_sha256()) > 0, "X509_sign");
}

// A certificate for `key` signed by the CA, naming the subject alternative names `san`.
X509Ptr make_server_cert(const TlsMaterial& m, EVP_PKEY* key, const std::string& san) {
  X509Ptr cert = make_cert(key, "localhost", m.ca_cert.get(), m.ca_key.get());
  add_ext(cert.get(), m.ca_cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_ext(cert.get(), m.ca_cert.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment");
  add_ext(cert.get(), m.ca_cert.get(), NID_ext_key_usage, "serverAuth");
  add_ext(cert.get(), m.ca_cert.get(), NID_subject_alt_name, san);
  sign(cert.get(), m.ca_key.get());
  return cert;
}

}  // namespace

TlsMaterial generate_tls(const std::string& extra_host, const std::vector<std::string>& extra_ips) {
  TlsMaterial m;
  m.ca_key = make_ec_key();
  m.ca_cert = make_cert(m.ca_key.get(), "reportd-sfsim test CA", nullptr, nullptr);
  add_ext(m.ca_cert.get(), m.ca_cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_ext(m.ca_cert.get(), m.ca_cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  sign(m.ca_cert.get(), m.ca_key.get());

  std::string san = "IP:127.0.0.1,IP:::1,DNS:localhost";
  if (!extra_host.empty() && extra_host != "127.0.0.1" && extra_host != "localhost" &&
      extra_host != "::1" && extra_host != "0.0.0.0") {
    bool is_ip = extra_host.find_first_not_of("0123456789.") == std::string::npos;
    san += (is_ip ? ",IP:" : ",DNS:") + extra_host;
  }
  for (const auto& ip : extra_ips) san += ",IP:" + ip;
  m.server_key = make_ec_key();
  m.server_cert = make_server_cert(m, m.server_key.get(), san);

  m.jwt_key = make_rsa_key();
  m.jwt_cert = make_cert(m.jwt_key.get(), "reportd-sfsim connected app", nullptr, nullptr);
  sign(m.jwt_cert.get(), m.jwt_key.get());
  return m;
}

std::string to_pem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  check(bio != nullptr && PEM_write_bio_X509(bio, cert) == 1, "PEM_write_bio_X509");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

std::string to_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  check(bio != nullptr &&
            PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM_write_bio_PrivateKey");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

bool verify_rs256(X509* cert, const std::string& data, const std::string& signature) {
  EVP_PKEY* pub = X509_get0_pubkey(cert);
  if (pub == nullptr) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx != nullptr && EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, pub) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                             data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

}  // namespace reportd::sim

namespace reportd::sim {

AddressCerts::AddressCerts(const TlsMaterial& tls, std::function<bool(const std::string&)> ours)
    : tls_(tls), ours_(std::move(ours)) {}

AddressCerts::~AddressCerts() = default;

void AddressCerts::install(SSL_CTX& ctx) { SSL_CTX_set_cert_cb(&ctx, &AddressCerts::select, this); }

int AddressCerts::select(SSL* ssl, void* arg) {
  auto* self = static_cast<AddressCerts*>(arg);
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  const int fd = SSL_get_fd(ssl);
  if (fd < 0 || getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
      addr.ss_family != AF_INET) {
    return 1;  // the default certificate
  }
  char text[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&addr)->sin_addr, text, sizeof text);
  if (!self->ours_(text)) return 1;
  X509* cert = self->cert_for(text);
  return cert != nullptr && SSL_use_certificate(ssl, cert) == 1 &&
                 SSL_use_PrivateKey(ssl, self->tls_.server_key.get()) == 1
             ? 1
             : 0;
}

X509* AddressCerts::cert_for(const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  X509Ptr& cert = certs_[address];
  if (!cert) {
    try {
      cert = make_server_cert(tls_, tls_.server_key.get(), "IP:" + address);
    } catch (const std::exception&) {
      return nullptr;
    }
  }
  return cert.get();
}

}  // namespace reportd::sim
