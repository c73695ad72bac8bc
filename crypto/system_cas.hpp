#pragma once
// The system's CA certificates for a TLS client's trust store (Salesforce
// and SMTP alike).

#include <openssl/x509.h>

namespace reportd::crypto {

// Adds the system's CAs to `store`. Where their directory (SSL_CERT_DIR, or
// OpenSSL's default, /etc/ssl/certs on Debian) holds hashed links
// ("1a2b3c4d.0", as ca-certificates makes them), a CA is read from it by
// subject when a chain needs one, so a process, or an SMTP connection, does
// not parse the whole bundle (144 certificates, about 18 ms of CPU) first.
// With SSL_CERT_FILE set (and not empty), or no hashed directory, OpenSSL's
// default paths, which load the bundle up front.
bool load_system_cas(X509_STORE* store);

}  // namespace reportd::crypto
