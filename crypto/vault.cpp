#include "crypto/vault.hpp"

#include <sodium.h>

namespace reportd::crypto {
namespace {

constexpr std::size_t kIdBytes = kKeyIdChars / 2;
constexpr std::size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr std::size_t kHeaderBytes = 1 + kIdBytes + kNonceBytes;

std::string associated_data(const Binding& b, std::string_view key_id) {
  std::string ad = "reportd.token.v1";
  ad += '\0';
  ad += std::to_string(b.connection_id);
  ad += '\0';
  ad += b.org_id;
  ad += '\0';
  ad += key_id;
  return ad;
}

bool id_to_bytes(std::string_view id, std::uint8_t out[kIdBytes]) {
  std::size_t n = 0;
  return sodium_hex2bin(out, kIdBytes, id.data(), id.size(), nullptr, &n, nullptr) == 0 &&
         n == kIdBytes;
}

}  // namespace

std::string Vault::key_id_of(std::span<const std::uint8_t> record) {
  if (record.size() < kHeaderBytes + kTagBytes || record[0] != kRecordVersion) return {};
  char hex[kKeyIdChars + 1];
  sodium_bin2hex(hex, sizeof hex, record.data() + 1, kIdBytes);
  return hex;
}

std::vector<std::uint8_t> Vault::seal(std::span<const std::uint8_t> plaintext,
                                      const Binding& binding) const {
  const MasterKey& key = keys_.primary();
  std::vector<std::uint8_t> out(kHeaderBytes + plaintext.size() + kTagBytes);
  out[0] = kRecordVersion;
  id_to_bytes(key.id, out.data() + 1);
  std::uint8_t* nonce = out.data() + 1 + kIdBytes;
  randombytes_buf(nonce, kNonceBytes);
  std::string ad = associated_data(binding, key.id);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      out.data() + kHeaderBytes, &written, plaintext.data(), plaintext.size(),
      reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr, nonce,
      key.key.data());
  out.resize(kHeaderBytes + written);
  return out;
}

Result<SecureBuffer> Vault::open(std::span<const std::uint8_t> record,
                                 const Binding& binding) const {
  if (record.size() < kHeaderBytes + kTagBytes) {
    return Status::error(ErrorKind::kCorrupt, "sealed token is truncated");
  }
  if (record[0] != kRecordVersion) {
    return Status::error(ErrorKind::kCorrupt, "sealed token has unknown format version " +
                                                  std::to_string(record[0]));
  }
  std::string id = key_id_of(record);
  const MasterKey* key = keys_.find(id);
  if (key == nullptr) {
    return Status::error(ErrorKind::kNotFound,
                         "token is sealed with key " + id +
                             ", which is not in the loaded key file; add that key's line back "
                             "to the key file (after the primary key)");
  }
  const std::uint8_t* nonce = record.data() + 1 + kIdBytes;
  std::size_t cipher_len = record.size() - kHeaderBytes;
  SecureBuffer plain(cipher_len - kTagBytes);
  std::string ad = associated_data(binding, id);
  unsigned long long plain_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          plain.data(), &plain_len, nullptr, record.data() + kHeaderBytes, cipher_len,
          reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nonce,
          key->key.data()) != 0) {
    return Status::error(ErrorKind::kCorrupt,
                         "sealed token does not verify: it was altered, belongs to another "
                         "connection, or the key " + id + " is not the one that sealed it");
  }
  plain.truncate(static_cast<std::size_t>(plain_len));
  return plain;
}

Result<std::vector<std::uint8_t>> Vault::rewrap(std::span<const std::uint8_t> record,
                                                const Binding& from, const Binding& to) const {
  Result<SecureBuffer> plain = open(record, from);
  if (!plain.ok()) return std::move(plain).status();
  return seal(*plain, to);
}

}  // namespace reportd::crypto
