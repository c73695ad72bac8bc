#include "crypto/vault.hpp"

#include <doctest/doctest.h>
#include <sodium.h>

#include <set>
#include <string>

namespace reportd::crypto {
namespace {

KeyRing ring_of(int n) {
  std::vector<MasterKey> keys;
  for (int i = 0; i < n; ++i) keys.push_back(generate_key());
  return KeyRing(std::move(keys));
}

std::string text_of(const SecureBuffer& b) { return std::string(b.view()); }

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST_CASE("vault: a sealed token opens again for the same connection") {
  REQUIRE(init_sodium());
  KeyRing ring = ring_of(1);
  Vault vault(ring);
  Binding b{7, "00D000000000001EAA"};
  auto record = vault.seal(as_bytes("5Aep861refresh-token"), b);
  CHECK(record[0] == kRecordVersion);
  CHECK(Vault::key_id_of(record) == ring.primary().id);
  Result<SecureBuffer> opened = vault.open(record, b);
  REQUIRE(opened.ok());
  CHECK(text_of(*opened) == "5Aep861refresh-token");
}

TEST_CASE("vault: a flipped bit in any byte gives a clean error, never garbage") {
  REQUIRE(init_sodium());
  KeyRing ring = ring_of(1);
  Vault vault(ring);
  Binding b{1, "00DORG"};
  const auto record = vault.seal(as_bytes("token-value-123"), b);
  for (std::size_t i = 0; i < record.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      auto bad = record;
      bad[i] = static_cast<std::uint8_t>(bad[i] ^ (1u << bit));
      Result<SecureBuffer> r = vault.open(bad, b);
      REQUIRE_FALSE(r.ok());
      CHECK_FALSE(r.status().message().empty());
      CHECK(r.status().message().find("token-value") == std::string::npos);
    }
  }
}

TEST_CASE("vault: a record moved to another connection's row does not open") {
  REQUIRE(init_sodium());
  KeyRing ring = ring_of(1);
  Vault vault(ring);
  auto record = vault.seal(as_bytes("secret"), {1, "00DA"});
  CHECK(vault.open(record, {2, "00DA"}).status().kind() == ErrorKind::kCorrupt);
  CHECK(vault.open(record, {1, "00DB"}).status().kind() == ErrorKind::kCorrupt);
}

TEST_CASE("vault: a wrong key gives a clean error") {
  REQUIRE(init_sodium());
  KeyRing a = ring_of(1);
  Vault va(a);
  auto record = va.seal(as_bytes("secret"), {1, ""});

  // Same key id, different key bytes: authentication fails.
  std::vector<MasterKey> keys;
  keys.push_back(generate_key());
  keys[0].id = a.primary().id;
  KeyRing b(std::move(keys));
  Vault vb(b);
  CHECK(vb.open(record, {1, ""}).status().kind() == ErrorKind::kCorrupt);

  // A ring without the key id at all: says which key is missing.
  KeyRing c = ring_of(1);
  Result<SecureBuffer> r = Vault(c).open(record, {1, ""});
  CHECK(r.status().kind() == ErrorKind::kNotFound);
  CHECK(r.status().message().find(a.primary().id) != std::string::npos);
}

TEST_CASE("vault: truncated and unknown-version records are refused") {
  REQUIRE(init_sodium());
  KeyRing ring = ring_of(1);
  Vault vault(ring);
  auto record = vault.seal(as_bytes("x"), {1, ""});
  for (std::size_t n = 0; n < record.size(); ++n) {
    std::vector<std::uint8_t> cut(record.begin(), record.begin() + static_cast<long>(n));
    CHECK_FALSE(vault.open(cut, {1, ""}).ok());
  }
  record[0] = 9;
  CHECK(vault.open(record, {1, ""}).status().message().find("version 9") != std::string::npos);
}

TEST_CASE("vault: 100,000 seals produce no repeated nonce") {
  REQUIRE(init_sodium());
  KeyRing ring = ring_of(1);
  Vault vault(ring);
  std::set<std::string> nonces;
  for (int i = 0; i < 100000; ++i) {
    auto record = vault.seal(as_bytes("t"), {1, ""});
    nonces.emplace(reinterpret_cast<const char*>(record.data()) + 5, 24);
  }
  CHECK(nonces.size() == 100000);
}

TEST_CASE("vault: rewrap moves a token to the primary key and keeps it openable") {
  REQUIRE(init_sodium());
  KeyRing old_ring = ring_of(1);
  auto record = Vault(old_ring).seal(as_bytes("rotating"), {3, "00D"});
  std::vector<MasterKey> keys;
  keys.push_back(generate_key());
  keys.push_back(MasterKey{old_ring.primary().id,
                           SecureBuffer::copy_of(old_ring.primary().key.bytes())});
  KeyRing new_ring(std::move(keys));
  Vault vault(new_ring);
  auto rewrapped = vault.rewrap(record, {3, "00D"}, {3, "00D"});
  REQUIRE(rewrapped.ok());
  CHECK(Vault::key_id_of(*rewrapped) == new_ring.primary().id);
  CHECK(text_of(*vault.open(*rewrapped, {3, "00D"})) == "rotating");
}

}  // namespace
}  // namespace reportd::crypto
