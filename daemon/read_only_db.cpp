#include "daemon/read_only_db.hpp"

#include <sys/stat.h>
#include <unistd.h>

namespace reportd::daemon {

ReadOnlyDb open_read_only(const std::string& path, bool* immutable) {
  ReadOnlyDb none(nullptr, sqlite3_close);
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return none;
  const bool other = st.st_uid != ::geteuid();
  if (immutable != nullptr) *immutable = other;
  std::string name = path;
  int flags = SQLITE_OPEN_READONLY;
  if (other) {
    name = "file:";
    for (char c : path) {
      if (c == '%' || c == '?' || c == '#') {
        static const char* kHex = "0123456789ABCDEF";
        name += '%';
        name += kHex[(static_cast<unsigned char>(c) >> 4) & 0xF];
        name += kHex[static_cast<unsigned char>(c) & 0xF];
      } else {
        name += c;
      }
    }
    name += "?immutable=1";
    flags |= SQLITE_OPEN_URI;
  }
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(name.c_str(), &db, flags, nullptr);
  ReadOnlyDb out(db, sqlite3_close);
  if (rc != SQLITE_OK) return none;
  sqlite3_busy_timeout(db, 2000);
  return out;
}

}  // namespace reportd::daemon
