#pragma once
// The token vault: seals OAuth refresh tokens and client secrets with
// XChaCha20-Poly1305 under the key ring's primary key. A sealed record is
//   version (1 byte) | key id (4 bytes) | nonce (24 bytes) | ciphertext+tag
// and its associated data binds it to its connection id, org id and key id,
// so a record copied to another row does not open. Plaintext exists only in
// secure memory. Borrows the KeyRing; stateless otherwise, thread-safe.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/key_ring.hpp"
#include "crypto/secure_buffer.hpp"
#include "table/status.hpp"

namespace reportd::crypto {

inline constexpr std::uint8_t kRecordVersion = 1;

// Which row a sealed record belongs to.
struct Binding {
  std::int64_t connection_id = 0;
  std::string_view org_id;  // may be empty until the org is known
};

class Vault {
 public:
  explicit Vault(const KeyRing& keys) : keys_(keys) {}

  // Seals under the primary key with a fresh random nonce.
  std::vector<std::uint8_t> seal(std::span<const std::uint8_t> plaintext,
                                 const Binding& binding) const;
  std::vector<std::uint8_t> seal(const SecureBuffer& plaintext, const Binding& binding) const {
    return seal(plaintext.bytes(), binding);
  }

  // Opens a record. Fails cleanly (kCorrupt, or kNotFound for an unknown key
  // id), never returning garbage, on any altered byte, another row's record
  // or a wrong key.
  Result<SecureBuffer> open(std::span<const std::uint8_t> record, const Binding& binding) const;

  // Opens under `from` and seals under the primary key for `to`; the
  // plaintext never leaves secure memory.
  Result<std::vector<std::uint8_t>> rewrap(std::span<const std::uint8_t> record,
                                           const Binding& from, const Binding& to) const;

  // The key id in a record's header ("" when the record is malformed).
  static std::string key_id_of(std::span<const std::uint8_t> record);

  const KeyRing& keys() const { return keys_; }

 private:
  const KeyRing& keys_;
};

}  // namespace reportd::crypto
