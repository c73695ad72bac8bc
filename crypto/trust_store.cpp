#include "crypto/trust_store.hpp"

#include <openssl/err.h>
#include <sys/stat.h>

#include <map>
#include <mutex>

#include "crypto/system_cas.hpp"

namespace reportd::crypto {
namespace {

std::string openssl_error() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

}  // namespace

Result<X509_STORE*> shared_trust_store(const std::string& ca_file, Roots roots) {
  static std::mutex mu;
  // Never destroyed (nor its stores): callers may hold them up to exit.
  static auto* const stores = new std::map<std::string, X509_STORE*>;
  const bool system = roots == Roots::kSystemAndFile || ca_file.empty();
  // The file as it is now: a CA file replaced or rewritten is loaded afresh,
  // as it was when every client loaded its own.
  std::string key = (system ? "system\n" : "file\n") + ca_file;
  if (struct stat st{}; !ca_file.empty() && ::stat(ca_file.c_str(), &st) == 0) {
    key += "\n" + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
           std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
           std::to_string(st.st_mtim.tv_nsec);
  }
  std::lock_guard lock(mu);
  if (auto it = stores->find(key); it != stores->end()) return it->second;
  X509_STORE* store = X509_STORE_new();
  if (store == nullptr || (system && !load_system_cas(store))) {
    X509_STORE_free(store);
    return Status::error(ErrorKind::kIo, "cannot load the system CA store: " + openssl_error(),
                         "ca-store");
  }
  if (!ca_file.empty() && X509_STORE_load_file(store, ca_file.c_str()) != 1) {
    X509_STORE_free(store);
    return Status::error(
        ErrorKind::kInvalidArgument,
        "cannot load ca_file " + ca_file + ": " + openssl_error() + " (expected PEM certificates)",
        "ca-file");
  }
  stores->emplace(key, store);
  return store;
}

}  // namespace reportd::crypto
