#include "salesforce_client/http_message.hpp"

#include <strings.h>

#include <boost/url/parse.hpp>

namespace reportd::salesforce {

std::string Origin::to_string() const {
  // Appends, not operator+: GCC 12 -O3 warns falsely (-Wrestrict) on "x" + str.
  std::string s = "https://";
  s += host;
  if (port != "443") {
    s += ':';
    s += port;
  }
  return s;
}

Result<ParsedUrl> parse_https_url(std::string_view url) {
  auto r = boost::urls::parse_absolute_uri(url);
  if (!r) return Status::error(ErrorKind::kInvalidArgument, "not an absolute URL", "bad-url");
  if (r->scheme() != "https")
    return Status::error(ErrorKind::kInvalidArgument, "only https URLs are allowed", "bad-url");
  ParsedUrl out;
  out.origin.host = std::string(r->encoded_host());
  if (out.origin.host.empty())
    return Status::error(ErrorKind::kInvalidArgument, "URL has no host", "bad-url");
  if (r->has_port()) out.origin.port = std::string(r->port());
  out.target = std::string(r->encoded_path());
  if (out.target.empty()) out.target.push_back('/');
  if (r->has_query()) {
    out.target += '?';
    out.target += std::string_view(r->encoded_query());
  }
  return out;
}

std::string_view HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  return {};
}

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

std::string url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3 / 2);
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string form_encode(const std::vector<std::pair<std::string_view, std::string_view>>& kv) {
  std::string out;
  for (const auto& [k, v] : kv) {
    if (!out.empty()) out.push_back('&');
    out += url_encode(k);
    out.push_back('=');
    out += url_encode(v);
  }
  return out;
}

}  // namespace reportd::salesforce
