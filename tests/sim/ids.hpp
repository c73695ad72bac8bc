// Salesforce-shaped record ids: 15 significant characters plus the 3-character
// case-safety suffix. Generated rows encode their row index in the id, so an
// id maps back to its row without storing anything.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace reportd::sim {

/// "001" + "5g0" + base62(row, 9 digits) + suffix, 18 characters.
std::string make_id(std::string_view key_prefix, std::uint64_t row);

/// Row index of an id made by make_id with this prefix (15 or 18 chars,
/// suffix checked when present), or nullopt.
std::optional<std::uint64_t> id_row(std::string_view key_prefix, std::string_view id);

/// The 3-character suffix that turns a 15-char id into an 18-char one.
std::string id_suffix(std::string_view id15);

}  // namespace reportd::sim
