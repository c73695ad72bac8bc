#pragma once
// Master keys, loaded from a key file or a systemd credential. A key file
// holds one key per line, "<id> <base64 of 32 bytes>"; the first is primary
// and seals new tokens, the others only open old ones. Keys live in secure
// memory. Immutable after loading; safe to share across threads.

#include <string>
#include <string_view>
#include <vector>

#include "crypto/secure_buffer.hpp"
#include "table/status.hpp"

namespace reportd::crypto {

inline constexpr std::size_t kKeyBytes = 32;     // XChaCha20-Poly1305 key
inline constexpr std::size_t kKeyIdChars = 8;    // hex, 4 bytes in a record

struct MasterKey {
  std::string id;  // 8 lowercase hex digits
  SecureBuffer key;
};

class KeyRing {
 public:
  KeyRing() = default;
  explicit KeyRing(std::vector<MasterKey> keys) : keys_(std::move(keys)) {}

  bool empty() const { return keys_.empty(); }
  const MasterKey& primary() const { return keys_.front(); }  // REQUIRES: !empty()
  const MasterKey* find(std::string_view id) const;
  const std::vector<MasterKey>& keys() const { return keys_; }

 private:
  std::vector<MasterKey> keys_;
};

// Where the daemon looks for keys, in order: `key_file` when set, else
// $CREDENTIALS_DIRECTORY/master.key (systemd LoadCredential[Encrypted]=).
struct KeySource {
  std::string key_file;              // --key-file
  std::string credentials_directory;  // $CREDENTIALS_DIRECTORY, may be empty
};

// Loads and checks a key file. Refuses a file that group or others may read
// or that another user owns, saying how to fix it.
Result<KeyRing> load_key_file(const std::string& path);
Result<KeyRing> load_keys(const KeySource& source);

// A new random key, and the line that stores it.
MasterKey generate_key();
std::string key_file_line(const MasterKey& key);  // "<id> <base64>\n"; secret!

// Writes `keys` to `path` with mode 0600, atomically (temp file + rename).
// Fails if `path` exists and `replace` is false.
Status write_key_file(const std::string& path, const std::vector<const MasterKey*>& keys,
                      bool replace);

}  // namespace reportd::crypto
