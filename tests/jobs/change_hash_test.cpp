// The keyed hash behind `--when changed`: equal rows hash equal, one changed
// value does not, and the key, the org and the schedule each separate hashes.
#include "jobs/change_hash.hpp"

#include <doctest/doctest.h>

#include <array>

#include "jobs/render/sample_table.hpp"
#include "tests/jobs/test_keys.hpp"

namespace reportd::jobs {
namespace {

// The sample table, with row `changed` (if any) given another Name.
class Changing final : public table::RowSink {
 public:
  Changing(table::RowSink& next, std::uint64_t changed) : next_(next), changed_(changed) {}
  Status begin(const table::TableHeader& h) override { return next_.begin(h); }
  Status row(std::span<const table::Cell> cells) override {
    std::vector<table::Cell> copy(cells.begin(), cells.end());
    if (n_++ == changed_) copy[1] = table::Cell::string("Plain.");
    return next_.row(copy);
  }
  Status end(const table::TableFooter& f) override { return next_.end(f); }

 private:
  table::RowSink& next_;
  std::uint64_t changed_;
  std::uint64_t n_ = 0;
};

ChangeDigest hash_of(const crypto::SecureBuffer& key, ChangeScope scope, std::uint64_t rows,
                     std::uint64_t changed = ~0ull) {
  ChangeHash h(key);
  Changing c(h, changed);
  REQUIRE(render::emit_sample_table(c, rows).ok());
  return h.digest(scope);
}

TEST_CASE("change hash: equal rows hash equal; one value, one row or the key changed do not") {
  crypto::KeyRing keys = reportd::testing::one_key();
  crypto::SecureBuffer key = derive_change_key(keys);
  CHECK(key.size() == crypto_generichash_KEYBYTES);
  const ChangeScope scope{"00D000000000001", 1, 7};
  const ChangeDigest base = hash_of(key, scope, 2000);
  CHECK(hash_of(key, scope, 2000) == base);
  CHECK(hash_of(key, scope, 2000, 1234) != base);  // "Plain" -> "Plain." in one row
  CHECK(hash_of(key, scope, 1999) != base);
  crypto::KeyRing other = reportd::testing::one_key();
  CHECK(hash_of(derive_change_key(other), scope, 2000) != base);
}

TEST_CASE("change hash: the same rows in another schedule, connection or org hash apart") {
  crypto::KeyRing keys = reportd::testing::one_key();
  crypto::SecureBuffer key = derive_change_key(keys);
  const ChangeDigest base = hash_of(key, {"00D000000000001", 1, 7}, 50);
  CHECK(hash_of(key, {"00D000000000001", 1, 8}, 50) != base);
  CHECK(hash_of(key, {"00D000000000001", 2, 7}, 50) != base);
  CHECK(hash_of(key, {"00D000000000002", 1, 7}, 50) != base);
}

TEST_CASE("change hash: cell boundaries and types are part of the hash") {
  crypto::KeyRing keys = reportd::testing::one_key();
  crypto::SecureBuffer key = derive_change_key(keys);
  auto one_row = [&](std::vector<table::Cell> cells) {
    ChangeHash h(key);
    table::TableHeader head{"T", {}};
    for (std::size_t i = 0; i < cells.size(); ++i) head.columns.push_back({"c", "c", table::CellType::kString});
    REQUIRE(h.begin(head).ok());
    REQUIRE(h.row(cells).ok());
    REQUIRE(h.end({1, false}).ok());
    return h.digest({"org", 1, 1});
  };
  using table::Cell;
  CHECK(one_row({Cell::string("ab"), Cell::string("c")}) != one_row({Cell::string("a"), Cell::string("bc")}));
  CHECK(one_row({Cell::string("1"), Cell::null()}) != one_row({Cell::num(1, "1"), Cell::null()}));
  CHECK(one_row({Cell::string(""), Cell::null()}) != one_row({Cell::null(), Cell::string("")}));
}

TEST_CASE("change hash: a total that changed alone (rows past a truncated report's) is a change") {
  crypto::KeyRing keys = reportd::testing::one_key();
  crypto::SecureBuffer key = derive_change_key(keys);
  auto with_total = [&](double sum, std::string_view text) {
    ChangeHash h(key);
    REQUIRE(h.begin({"T", {{"c", "c", table::CellType::kString}}, 0}).ok());
    std::array<table::Cell, 1> cells{table::Cell::string("a")};
    REQUIRE(h.row(cells).ok());
    std::array<table::Aggregate, 1> aggs{{{"Sum of Amount", "shown", table::Cell::num(sum, text)}}};
    table::Subtotal t;
    t.aggregates = aggs;
    REQUIRE(h.subtotal(t).ok());
    REQUIRE(h.end({1, true}).ok());
    return h.digest({"org", 1, 1});
  };
  CHECK(with_total(10, "10") == with_total(10, "10"));
  CHECK(with_total(10, "10") != with_total(11, "11"));
}

}  // namespace
}  // namespace reportd::jobs
