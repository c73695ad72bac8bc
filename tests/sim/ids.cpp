#include "ids.hpp"

namespace reportd::sim {
namespace {

constexpr std::string_view kBase62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kPod = "5g0";
constexpr int kDigits = 9;

}  // namespace

std::string id_suffix(std::string_view id15) {
  static constexpr std::string_view kSuffixChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
  std::string out;
  for (size_t chunk = 0; chunk < 3; ++chunk) {
    unsigned bits = 0;
    for (size_t i = 0; i < 5; ++i) {
      char c = id15[chunk * 5 + i];
      if (c >= 'A' && c <= 'Z') bits |= 1u << i;
    }
    out += kSuffixChars[bits];
  }
  return out;
}

std::string make_id(std::string_view key_prefix, std::uint64_t row) {
  std::string id(key_prefix);
  id += kPod;
  std::string digits(kDigits, '0');
  for (int i = kDigits - 1; i >= 0 && row > 0; --i) {
    digits[static_cast<size_t>(i)] = kBase62[row % 62];
    row /= 62;
  }
  id += digits;
  id += id_suffix(id);
  return id;
}

std::optional<std::uint64_t> id_row(std::string_view key_prefix, std::string_view id) {
  if (id.size() != 15 && id.size() != 18) return std::nullopt;
  if (id.substr(0, 3) != key_prefix || id.substr(3, 3) != kPod) return std::nullopt;
  std::uint64_t row = 0;
  for (char c : id.substr(6, kDigits)) {
    auto pos = kBase62.find(c);
    if (pos == std::string_view::npos) return std::nullopt;
    row = row * 62 + pos;
  }
  if (id.size() == 18) {
    std::string want = id_suffix(id.substr(0, 15));
    for (size_t i = 0; i < 3; ++i) {
      char a = id[15 + i];
      if (a >= 'a' && a <= 'z') a = static_cast<char>(a - 'a' + 'A');
      if (a != want[i]) return std::nullopt;
    }
  }
  return row;
}

}  // namespace reportd::sim
