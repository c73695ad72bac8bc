#pragma once
// Test helper: seeded random MailMessages for the streaming tests. Hostile
// header pieces (as in mime_fuzz.cpp), bodies with lines that start with ".",
// and attachments whose sizes sit around base64 line (57 bytes) and stream
// chunk boundaries. The same seed always gives the same message, so golden
// hashes taken from the pre-streaming build_mime() stay valid.
#include <array>
#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <string_view>

#include "jobs/deliver/mime.hpp"

namespace reportd::testing {

// 64-bit FNV-1a: a stable fingerprint for golden values.
inline std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

class RandomMail {
 public:
  explicit RandomMail(std::uint64_t seed) : rng_(seed) {}

  // A message whose attachment bytes live in this object (valid until it dies).
  deliver::MailMessage next(std::size_t index) {
    deliver::MailMessage m;
    m.from = deliver::Address{gen(4), "reports@example.com"};
    std::size_t nto = 1 + rng_() % 3;
    for (std::size_t i = 0; i < nto; ++i) {
      m.to.push_back(deliver::Address{gen(6), "rcpt" + std::to_string(i) + "@example.org"});
    }
    m.subject = gen(20);
    m.message_id = deliver::derive_message_id("occ-" + std::to_string(index), "rcpt0@example.org",
                                              "example.com");
    m.date_ms = 1700000000000 + static_cast<std::int64_t>(rng_() % 100000000000ull);
    m.text = dotted_body();
    if (rng_() % 4 != 0) m.html = "<p>" + dotted_body() + "</p>";
    std::size_t natt = rng_() % 4;
    for (std::size_t i = 0; i < natt; ++i) {
      std::string& bytes = store_.emplace_back(attachment_bytes(attachment_size()));
      m.attachments.push_back(deliver::Attachment{gen(6), "text/csv; charset=utf-8", bytes});
    }
    return m;
  }

 private:
  std::string gen(std::size_t max_pieces) {
    // clang-format off
    static constexpr std::array<std::string_view, 24> kPieces = {
        "a", "Report", " ", "  ", "\r", "\n", "\r\n", std::string_view("\0", 1), "\n.", "\n.\r\n", ".",
        "\xC3\xA9", "\xE6\x97\xA5\xE6\x9C\xAC", "=?", "?=", "\"", "\\", ";", ":", "<x@y.z>",
        "\r\nBcc: victim@example.com", "\t", "%", "\xF0\x9F\x93\x8A"};
    // clang-format on
    std::string s;
    std::size_t k = rng_() % (max_pieces + 1);
    for (std::size_t i = 0; i < k; ++i) {
      if (rng_() % 30 == 0)
        s += std::string(rng_() % 300, 'x');
      else
        s += kPieces[rng_() % kPieces.size()];
    }
    return s;
  }

  // Lines that start with ".", lone dots, long lines (quoted-printable soft
  // breaks can then put a "." first on a wire line) and bare CR/LF.
  std::string dotted_body() {
    static constexpr std::array<std::string_view, 9> kLines = {
        ".",   "..",    ".starts with a dot", "plain line", "", "\xC3\xA9t\xC3\xA9 .", ". ",
        "x=y", "\t.tab"};
    std::string s;
    std::size_t n = rng_() % 12;
    for (std::size_t i = 0; i < n; ++i) {
      if (rng_() % 5 == 0) {
        std::size_t len = 60 + rng_() % 200;
        for (std::size_t j = 0; j < len; ++j) s += rng_() % 7 == 0 ? '.' : 'a';
      } else {
        s += kLines[rng_() % kLines.size()];
      }
      s += rng_() % 3 == 0 ? "\n" : "\r\n";
    }
    return s;
  }

  std::size_t attachment_size() {
    static constexpr std::array<std::size_t, 8> kBases = {0,     57,    570,    49134,
                                                          65550, 65536, 131100, 196650};
    switch (rng_() % 3) {
      case 0:
        return rng_() % 200;
      case 1:
        return rng_() % 250000;
      default: {
        std::size_t base = kBases[rng_() % kBases.size()];
        std::size_t delta = rng_() % 8;
        return rng_() % 2 == 0 ? base + delta : (base > delta ? base - delta : base);
      }
    }
  }

  std::string attachment_bytes(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) {
      std::uint64_t r = rng_();
      s[i] = r % 5 == 0 ? '.' : r % 7 == 0 ? '\n' : r % 11 == 0 ? '\r' : static_cast<char>(r >> 8);
    }
    return s;
  }

  std::mt19937_64 rng_;
  std::deque<std::string> store_;
};

}  // namespace reportd::testing
