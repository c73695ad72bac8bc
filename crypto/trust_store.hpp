#pragma once
// The trust stores every TLS client of the process shares (Salesforce pools
// and SMTP connections): one per set of roots, loaded once. A store per
// pool, that is per connected org, cost each org the parse of the whole
// system bundle and about half a MiB (issue #14: 1,000 orgs), and a store
// per SMTP connection cost each connection a new scan of the CA directory.
// The system CAs are read by subject from the hashed directory when a chain
// needs one (system_cas.hpp). A CA file is read again when it changed on
// disk (path, inode, size or mtime); stores are kept for the life of the
// process.

#include <openssl/x509.h>

#include <string>

#include "table/status.hpp"

namespace reportd::crypto {

enum class Roots {
  kSystemAndFile,  // the system's CAs, plus `ca_file`'s when one is named (Salesforce)
  kFileOrSystem,   // `ca_file`'s alone when one is named, else the system's (SMTP)
};

// The shared store for `ca_file` ("" for none) and `roots`. Callers take
// their own reference (SSL_CTX_set1_cert_store). Thread-safe. Fails (kIo
// "ca-store", kInvalidArgument "ca-file") as a fresh load would, with a
// message callers prefix with their setting's name; a failed load is not
// kept, so the next call tries again.
Result<X509_STORE*> shared_trust_store(const std::string& ca_file, Roots roots);

}  // namespace reportd::crypto
