#pragma once
// The trust store every HTTPS pool of the process shares: the system CA
// store plus an optional extra CA file, loaded once per CA file. A store per
// pool, that is per connected org, cost each org the parse of the whole
// system bundle and about half a MiB (issue #14: 1,000 orgs); the system CAs
// are now read by subject from the hashed directory when a chain needs one. A CA file is read again
// when it changed on disk (path, inode, size or mtime); stores are kept for the life of the
// process.

#include <openssl/x509.h>

#include <string>

#include "table/status.hpp"

namespace reportd::salesforce {

// The shared store for `ca_file` ("" for the system store only). Callers
// take their own reference (SSL_CTX_set1_cert_store). Thread-safe. Fails
// (kIo "ca-store", kInvalidArgument "ca-file") as a fresh load would; a
// failed load is not kept, so the next call tries again.
Result<X509_STORE*> shared_trust_store(const std::string& ca_file);

}  // namespace reportd::salesforce
