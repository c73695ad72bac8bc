#include "salesforce_client/limit_info.hpp"

#include <charconv>

namespace reportd::salesforce {

std::optional<ApiUsage> parse_limit_info(std::string_view header) {
  static constexpr std::string_view kKey = "api-usage=";
  std::size_t at = 0;
  while ((at = header.find(kKey, at)) != std::string_view::npos) {
    // Skip "per-app-api-usage=": only the org-wide pair counts.
    if (at > 0 && header[at - 1] != ' ' && header[at - 1] != ';' && header[at - 1] != ',') {
      at += kKey.size();
      continue;
    }
    const char* p = header.data() + at + kKey.size();
    const char* end = header.data() + header.size();
    ApiUsage u;
    auto r1 = std::from_chars(p, end, u.used);
    if (r1.ec != std::errc() || r1.ptr == end || *r1.ptr != '/') return std::nullopt;
    auto r2 = std::from_chars(r1.ptr + 1, end, u.limit);
    if (r2.ec != std::errc()) return std::nullopt;
    return u;
  }
  return std::nullopt;
}

}  // namespace reportd::salesforce
