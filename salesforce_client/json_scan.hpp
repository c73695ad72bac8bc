#pragma once
// The byte-level pieces of JsonLexer (json_lexer.hpp): SSE2 scans for the
// end of a string, UTF-8 and \uXXXX escape checks, short compares, and a
// basic_parser handler that only captures a number's value. Pure functions.

#include <emmintrin.h>

#include <boost/json/basic_parser_impl.hpp>
#include <cstdint>
#include <cstring>

namespace reportd::salesforce {

namespace json_sax_detail {
namespace json = boost::json;

// The first byte of [p, end) that a string cannot hold as is: a quote, a
// backslash, a control character or a non-ASCII byte (signed compare: both
// are below 0x20 as signed chars); `end` if none.
// Whether the n bytes at a and b are the same: keys are short, and fixed-size
// loads (two that may overlap) beat a call to memcmp.
[[gnu::always_inline]] inline bool same_bytes(const char* a, const char* b, std::size_t n) {
  auto load8 = [](const char* p) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  };
  auto load4 = [](const char* p) {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  };
  if (n >= 8) {
    for (std::size_t i = 0; i + 8 < n; i += 8)
      if (load8(a + i) != load8(b + i)) return false;
    return load8(a + n - 8) == load8(b + n - 8);
  }
  if (n >= 4) return load4(a) == load4(b) && load4(a + n - 4) == load4(b + n - 4);
  for (std::size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

// The first quote or backslash in [p, end), or `end`.
[[gnu::always_inline]] inline const char* scan_quote(const char* p, const char* end) {
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash));
    if (const int mask = _mm_movemask_epi8(hit); mask != 0)
      return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
  for (; p < end; ++p)
    if (*p == '"' || *p == '\\') return p;
  return end;
}

[[gnu::always_inline]] inline const char* scan_string(const char* p, const char* end) {
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i space = _mm_set1_epi8(0x20);
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i hit =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                     _mm_cmplt_epi8(v, space));
    if (const int mask = _mm_movemask_epi8(hit); mask != 0)
      return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
  for (; p < end; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) return p;
  }
  return end;
}

// The length of the well-formed UTF-8 sequence at p (Unicode table 3-7: no
// overlong forms, no surrogates, nothing past U+10FFFF), or 0.
inline int utf8_length(const char* s, const char* end) {
  const auto* p = reinterpret_cast<const unsigned char*>(s);
  const auto left = end - s;
  const unsigned c = p[0];
  auto cont = [&](int i) { return (p[i] & 0xC0) == 0x80; };
  if (c < 0xC2) return 0;
  if (c < 0xE0) return left >= 2 && cont(1) ? 2 : 0;
  if (c < 0xF0) {
    if (left < 3 || !cont(1) || !cont(2)) return 0;
    if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0)) return 0;
    return 3;
  }
  if (c < 0xF5) {
    if (left < 4 || !cont(1) || !cont(2) || !cont(3)) return 0;
    if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90)) return 0;
    return 4;
  }
  return 0;
}

inline int hex4(const char* p) {
  int v = 0;
  for (int i = 0; i < 4; ++i) {
    const char c = p[i];
    int d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if ((c | 32) >= 'a' && (c | 32) <= 'f')
      d = (c | 32) - 'a' + 10;
    else
      return -1;
    v = v * 16 + d;
  }
  return v;
}

// What basic_parser makes of a number's text alone: its kind and value.
struct NumberCapture {
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  char kind = 0;  // 'i', 'u' or 'd'
  std::int64_t i = 0;
  std::uint64_t u = 0;
  double d = 0;
  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) { return false; }
  bool on_object_end(std::size_t, json::error_code&) { return false; }
  bool on_array_begin(json::error_code&) { return false; }
  bool on_array_end(std::size_t, json::error_code&) { return false; }
  bool on_key_part(json::string_view, std::size_t, json::error_code&) { return false; }
  bool on_key(json::string_view, std::size_t, json::error_code&) { return false; }
  bool on_string_part(json::string_view, std::size_t, json::error_code&) { return false; }
  bool on_string(json::string_view, std::size_t, json::error_code&) { return false; }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t v, json::string_view, json::error_code&) {
    return kind = 'i', i = v, true;
  }
  bool on_uint64(std::uint64_t v, json::string_view, json::error_code&) {
    return kind = 'u', u = v, true;
  }
  bool on_double(double v, json::string_view, json::error_code&) { return kind = 'd', d = v, true; }
  bool on_bool(bool, json::error_code&) { return false; }
  bool on_null(json::error_code&) { return false; }
  bool on_comment_part(json::string_view, json::error_code&) { return false; }
  bool on_comment(json::string_view, json::error_code&) { return false; }
};

}  // namespace json_sax_detail

}  // namespace reportd::salesforce
