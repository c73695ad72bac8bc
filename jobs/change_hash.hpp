#pragma once
// ChangeHash: a RowSink that hashes a run's rows as they stream, for
// "send only when changed" (`--when changed`, Send_When__c). The hash is
// keyed BLAKE2b-256 (libsodium crypto_generichash) under a key derived from
// the vault's primary master key, and it ends with the org id, the
// connection id and the schedule id (given to digest(), after the rows, so
// the org is the one the run's first token pinned, on a connection's first
// run too), so equal rows in two schedules or two orgs hash apart and nobody without the key can test a guess of the rows
// against a stored hash. Only the 32-byte hash is kept; the rows are not.
//
// Canonical form: for each table its name and columns (API name, type),
// then each row's cells as (type, length-prefixed value): the value as the
// source sent it for text and numbers, days/milliseconds for dates and
// datetimes, so a change of time zone or of rendering does not read as a
// change of data; a grouped report's totals as (kind, group values, raw
// aggregate values), since they also cover the rows a truncated report
// (allData:false) left out. One run's thread.

#include <array>
#include <cstdint>
#include <string_view>

#include <sodium.h>

#include "crypto/key_ring.hpp"
#include "crypto/secure_buffer.hpp"
#include "table/table.hpp"

namespace reportd::jobs {

inline constexpr std::size_t kChangeHashBytes = 32;
using ChangeDigest = std::array<std::uint8_t, kChangeHashBytes>;

// The hashing key: BLAKE2b of a fixed label, keyed with the primary master
// key. A new primary key (keys rotate) makes every schedule send once more.
crypto::SecureBuffer derive_change_key(const crypto::KeyRing& keys);

// What makes two schedules' hashes differ for equal rows.
struct ChangeScope {
  std::string_view org_id;
  std::int64_t connection_id = 0;
  std::int64_t schedule_id = 0;
};

class ChangeHash final : public table::RowSink {
 public:
  explicit ChangeHash(const crypto::SecureBuffer& key);
  ~ChangeHash() override;  // zeroes the hashing state
  ChangeHash(const ChangeHash&) = delete;
  ChangeHash& operator=(const ChangeHash&) = delete;

  Status begin(const table::TableHeader& header) override;
  Status row(std::span<const table::Cell> cells) override;
  Status end(const table::TableFooter& footer) override;
  Status subtotal(const table::Subtotal& total) override;

  // The hash of everything seen and `scope`, after the source ended (the
  // first call's on every later call).
  ChangeDigest digest(const ChangeScope& scope);

 private:
  void add(std::string_view bytes);
  void add_tagged(char tag, std::string_view bytes);
  void add_number(std::int64_t v);

  crypto_generichash_state state_{};
  ChangeDigest digest_{};
  bool done_ = false;
};

}  // namespace reportd::jobs
