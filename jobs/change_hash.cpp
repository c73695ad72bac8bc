#include "jobs/change_hash.hpp"

#include <cstring>

#include "table/wipe.hpp"

namespace reportd::jobs {
namespace {

constexpr std::string_view kLabel = "reportd change detection v1";

}  // namespace

crypto::SecureBuffer derive_change_key(const crypto::KeyRing& keys) {
  crypto::SecureBuffer out(crypto_generichash_KEYBYTES);
  const crypto::SecureBuffer& master = keys.primary().key;
  crypto_generichash(out.data(), out.size(),
                     reinterpret_cast<const unsigned char*>(kLabel.data()), kLabel.size(),
                     master.bytes().data(), master.size());
  return out;
}

ChangeHash::ChangeHash(const crypto::SecureBuffer& key) {
  crypto_generichash_init(&state_, key.bytes().data(), key.size(), kChangeHashBytes);
}

ChangeHash::~ChangeHash() { wipe_bytes(&state_, sizeof state_); }

void ChangeHash::add(std::string_view bytes) {
  crypto_generichash_update(&state_, reinterpret_cast<const unsigned char*>(bytes.data()),
                            bytes.size());
}

void ChangeHash::add_number(std::int64_t v) {
  unsigned char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(static_cast<std::uint64_t>(v) >> (8 * i));
  crypto_generichash_update(&state_, b, sizeof b);
}

// A tag, the length, the bytes: no two different sequences of values hash
// the same stream.
void ChangeHash::add_tagged(char tag, std::string_view bytes) {
  add(std::string_view(&tag, 1));
  add_number(static_cast<std::int64_t>(bytes.size()));
  add(bytes);
}

Status ChangeHash::begin(const table::TableHeader& header) {
  add_tagged('T', header.name);
  add_number(static_cast<std::int64_t>(header.columns.size()));
  for (const table::Column& c : header.columns) {
    add_tagged('C', c.name);
    add_tagged('t', table::to_string(c.type));
  }
  return {};
}

Status ChangeHash::row(std::span<const table::Cell> cells) {
  add(std::string_view("R", 1));
  for (const table::Cell& c : cells) {
    switch (c.type) {
      case table::CellType::kNull: add(std::string_view("n", 1)); break;
      case table::CellType::kString: add_tagged('s', c.text); break;
      case table::CellType::kNumber: add_tagged('f', c.text); break;
      case table::CellType::kBoolean: add(c.boolean ? std::string_view("b1") : std::string_view("b0")); break;
      case table::CellType::kDate:
        add(std::string_view("d", 1));
        add_number(c.days);
        break;
      case table::CellType::kDateTime:
        add(std::string_view("m", 1));
        add_number(c.millis);
        break;
    }
  }
  return {};
}

Status ChangeHash::end(const table::TableFooter& footer) {
  add(std::string_view("E", 1));
  add_number(static_cast<std::int64_t>(footer.rows));
  add(footer.truncated ? std::string_view("1") : std::string_view("0"));
  return {};
}

Status ChangeHash::subtotal(const table::Subtotal& total) {
  add(std::string_view("S", 1));
  add_number(static_cast<std::int64_t>(total.kind));
  add_number(static_cast<std::int64_t>(total.groups.size()));
  for (const table::GroupValue& g : total.groups) add_tagged('g', g.value);
  for (const table::Aggregate& a : total.aggregates) {
    if (a.value.type == table::CellType::kNull) {
      add(std::string_view("n", 1));
    } else {
      add_tagged('f', a.value.text);
    }
  }
  return {};
}

ChangeDigest ChangeHash::digest(const ChangeScope& scope) {
  if (!done_) {
    add_tagged('O', scope.org_id);
    add_number(scope.connection_id);
    add_number(scope.schedule_id);
    crypto_generichash_final(&state_, digest_.data(), digest_.size());
  }
  done_ = true;
  return digest_;
}

}  // namespace reportd::jobs
