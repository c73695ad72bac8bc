#include "jobs/deliver/recipients.hpp"

#include <algorithm>
#include <cctype>

#include "jobs/deliver/mime.hpp"

namespace reportd::deliver {
namespace {

constexpr std::string_view kSeparators = ",; \t\r\n\f\v";

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  return out;
}

// Items between separators; never empty ones.
std::vector<std::string_view> items_of(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || kSeparators.find(text[i]) != std::string_view::npos) {
      if (i > start) out.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

// "mail: invalid address: why" -> "why".
std::string why_of(const Status& st) {
  const std::string& m = st.message();
  std::size_t colon = m.rfind(": ");
  return colon == std::string::npos ? m : m.substr(colon + 2);
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& d : items) out += (out.empty() ? "" : ", ") + d;
  return out;
}

}  // namespace

std::string domain_of(std::string_view address) {
  std::size_t at = address.rfind('@');
  return lower(at == std::string_view::npos ? std::string_view{} : address.substr(at + 1));
}

Result<std::vector<std::string>> split_recipients(std::string_view text) {
  std::vector<std::string> out;
  for (std::string_view item : items_of(text)) {
    if (Status st = validate_address(item); !st.ok()) {
      return Status::error(
          ErrorKind::kInvalidArgument,
          "\"" + std::string(item) + "\" is not an e-mail address (" + why_of(st) + ")",
          "bad-address");
    }
    std::size_t at = item.rfind('@');
    std::string address = std::string(item.substr(0, at + 1)) + domain_of(item);
    bool seen = std::any_of(out.begin(), out.end(),
                            [&](const std::string& b) { return lower(b) == lower(address); });
    if (!seen) out.push_back(std::move(address));
  }
  return out;
}

Result<std::string> parse_address(std::string_view text) {
  auto list = split_recipients(text);
  if (!list.ok()) return list.status();
  if (list->size() != 1) {
    return Status::error(ErrorKind::kInvalidArgument,
                         "\"" + std::string(text) + "\" must be exactly one e-mail address",
                         "bad-address");
  }
  return std::move(list->front());
}

Status check_domain(std::string_view domain) {
  // The domain rules of validate_address(), on a made-up local part.
  if (domain.find('@') != std::string_view::npos ||
      !validate_address("x@" + std::string(domain)).ok()) {
    return Status::error(ErrorKind::kInvalidArgument,
                         "\"" + std::string(domain) +
                             "\" is not a domain name; give a dotted host name such as "
                             "example.com, without '@'");
  }
  return {};
}

Result<std::vector<std::string>> split_domains(std::string_view text) {
  std::vector<std::string> out;
  for (std::string_view item : items_of(text)) {
    if (Status st = check_domain(item); !st.ok()) return st;
    std::string d = lower(item);
    if (std::find(out.begin(), out.end(), d) == out.end()) out.push_back(std::move(d));
  }
  return out;
}

Status check_recipient(std::string_view address, const DomainPolicy& policy) {
  if (policy.domains.empty()) {
    if (!policy.required) return {};
    return Status::error(ErrorKind::kPermanent,
                         "recipient " + std::string(address) +
                             " refused: no recipient domains are allowed for this connection; "
                             "the operator sets them with `reportd connections set NAME "
                             "--allowed-domains example.com` or [defaults] allowed_domains",
                         "no-allowed-domains");
  }
  std::string d = domain_of(address);
  bool ok = std::any_of(policy.domains.begin(), policy.domains.end(),
                        [&](const std::string& a) { return lower(a) == d; });
  if (ok) return {};
  return Status::error(ErrorKind::kPermanent,
                       "recipient " + std::string(address) +
                           " refused: its domain is outside those allowed for this connection (" +
                           joined(policy.domains) + ")",
                       "recipient-not-allowed");
}

}  // namespace reportd::deliver
