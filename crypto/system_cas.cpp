#include "crypto/system_cas.hpp"

#include <dirent.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string_view>

namespace reportd::crypto {
namespace {

// Whether `dir` holds OpenSSL's hashed links ("1a2b3c4d.0"), as Debian's
// ca-certificates makes them in /etc/ssl/certs.
bool has_hashed_links(const char* dir) {
  DIR* d = ::opendir(dir);
  if (d == nullptr) return false;
  bool found = false;
  while (const dirent* e = ::readdir(d)) {
    const std::string_view name = e->d_name;
    if (name.size() == 10 && name.ends_with(".0") &&
        std::all_of(name.begin(), name.begin() + 8,
                    [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; })) {
      found = true;
      break;
    }
  }
  ::closedir(d);
  return found;
}

}  // namespace

bool load_system_cas(X509_STORE* store) {
  auto env = [](const char* name) -> const char* {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? v : nullptr;
  };
  if (env(X509_get_default_cert_file_env()) == nullptr) {
    const char* named = env(X509_get_default_cert_dir_env());
    const char* dir = named != nullptr ? named : X509_get_default_cert_dir();
    if (has_hashed_links(dir)) return X509_STORE_load_path(store, dir) == 1;
  }
  return X509_STORE_set_default_paths(store) == 1;
}

}  // namespace reportd::crypto
