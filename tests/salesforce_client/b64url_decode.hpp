#pragma once
// base64url without padding back to bytes, for tests that read JWTs.

#include <openssl/evp.h>

#include <string>
#include <string_view>

namespace reportd::salesforce::testing {

inline std::string b64url_decode(std::string_view s) {
  std::string b64(s);
  for (auto& c : b64) c = c == '-' ? '+' : c == '_' ? '/' : c;
  const std::size_t pad = (4 - b64.size() % 4) % 4;
  b64.append(pad, '=');
  std::string out(b64.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()),
                          static_cast<int>(b64.size()));
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

}  // namespace reportd::salesforce::testing
