// Deterministic record generator: every value is a pure function of
// (object, row index, field), so any page can be produced from its offset
// and nothing is stored.
#pragma once

#include <cstdint>
#include <string>

#include "schema.hpp"
#include "value.hpp"

namespace reportd::sim {

/// Sizes and seeds of the generated objects.
struct GenConfig {
  std::uint64_t accounts = 0;       // live Account rows
  std::uint64_t contacts = 0;       // live Contact rows
  std::uint64_t opportunities = 0;  // live Opportunity rows
  std::string marker;               // planted into text of every 5th row when non-empty
  std::string username;             // Username of User row 0 (the API user)
  std::uint64_t org_number = 0;     // other users are user<row>@org<n>.reportd-sim.example
};

constexpr std::uint64_t kUsers = 8;
constexpr std::uint64_t kMarkerEvery = 5;

/// Live rows of a generated object (what `query` sees).
std::uint64_t live_rows(const GenConfig& cfg, const ObjectDef& obj);
/// Live plus soft-deleted rows (what `queryAll` sees); deleted rows follow
/// the live ones.
std::uint64_t all_rows(const GenConfig& cfg, const ObjectDef& obj);

/// The value of field on row. Reference fields give the parent's id or null.
Value generate(const GenConfig& cfg, const ObjectDef& obj, std::uint64_t row, const FieldDef& field);

}  // namespace reportd::sim
