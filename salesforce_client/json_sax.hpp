#pragma once
// JsonSax: a strict JSON parser for one document held whole in memory (a
// query page), driving a Boost.JSON SAX handler with the callbacks that
// boost::json::basic_parser calls, and accepting exactly what basic_parser
// accepts with default parse_options (max_depth 32, no comments, no trailing
// commas, valid UTF-8 only, lone UTF-16 surrogates refused), checked by a
// differential test and fuzz/json_sax_fuzz.cpp. Faster on query pages because
// it is not resumable: strings are scanned 16 bytes at a time (SSE2) for a
// quote, a backslash, a control or a non-ASCII byte, and a string, key or
// number is always handed over whole (no *_part callbacks). Numbers get
// basic_parser's own values: up to 15 significant digits and a 4-digit
// exponent by its conversion (detail::dec_to_float), anything longer by
// basic_parser itself on the number's text. As write_some() does, parsing
// stops after the first value and the whitespace that follows it.
// Unescaped strings are built in a buffer that is wiped when it grows and
// when the parser is destroyed (they are record values). One thread.
//
// Two optional hooks let a handler that knows the document's shape (query
// pages: every record spells the same keys in the same order) go faster:
// - `std::string_view key_hint()`: the key expected next in this object, as
//   the page spelled it before (plain ASCII: no quote, backslash or control).
//   When the page holds exactly `"hint"` there, the key is not scanned and
//   `on_hinted_key(ec)` is called in place of on_key.
// - `bool skip_value()`, asked after each key: true when the handler has no
//   use for the value. It is then only delimited (strings to their closing
//   quote, containers to their matching bracket), not validated, and no
//   callback is made for it. Without the hooks the parser is strict throughout.

#include <emmintrin.h>

#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "table/wipe.hpp"

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

template <class H>
concept HasKeyHint = requires(H& h, boost::json::error_code& ec) {
  { h.key_hint() } -> std::convertible_to<std::string_view>;
  { h.on_hinted_key(ec) } -> std::convertible_to<bool>;
};
template <class H>
concept HasSkipValue = requires(H& h) {
  { h.skip_value() } -> std::convertible_to<bool>;
};

template <class Handler>
class JsonSax {
 public:
  static constexpr int kMaxDepth = 32;  // boost::json::parse_options::max_depth's default

  JsonSax() = default;
  ~JsonSax() {
    wipe(buf_);
    wipe(num_);
  }
  JsonSax(const JsonSax&) = delete;
  JsonSax& operator=(const JsonSax&) = delete;

  // Parses the JSON value at the start of `in` into `h`. False with `ec`
  // set when the text is not JSON or a callback returned false (the
  // callback's own error, else error::exception).
  bool parse(std::string_view in, Handler& h, boost::json::error_code& ec) {
    p_ = in.data();
    end_ = in.data() + in.size();
    h_ = &h;
    ec_ = &ec;
    ec = {};
    if (!call(h.on_document_begin(ec))) return false;
    skip_ws();
    if (p_ == end_) return fail(boost::json::error::incomplete);
    if (!value(kMaxDepth)) return false;
    if (!call(h.on_document_end(ec))) return false;
    skip_ws();
    return true;
  }

 private:
  using error = boost::json::error;
  using sv = boost::json::string_view;

  bool fail(error e) {
    if (!*ec_) *ec_ = e;
    return false;
  }
  bool call(bool ok) { return ok || fail(error::exception); }

  // Query pages have no whitespace between tokens: one compare when there is none.
  [[gnu::always_inline]] void skip_ws() {
    while (p_ < end_ && static_cast<unsigned char>(*p_) <= ' ' &&
           (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t'))
      ++p_;
  }

  bool value(int depth) {
    switch (*p_) {
      case '{':
        return object(depth);
      case '[':
        return array(depth);
      case '"': {
        std::string_view s;
        if (!string(s)) return false;
        return call(h_->on_string(sv(s.data(), s.size()), s.size(), *ec_));
      }
      case 't':
        return literal("true", 4) && call(h_->on_bool(true, *ec_));
      case 'f':
        return literal("false", 5) && call(h_->on_bool(false, *ec_));
      case 'n':
        return literal("null", 4) && call(h_->on_null(*ec_));
      default:
        return number();
    }
  }

  bool literal(const char* word, std::size_t n) {
    const auto left = static_cast<std::size_t>(end_ - p_);
    if (left < n) return fail(std::memcmp(p_, word, left) == 0 ? error::incomplete : error::syntax);
    std::uint32_t have, want;  // fixed-size copies: plain loads, no call
    std::memcpy(&have, p_, 4);
    std::memcpy(&want, word, 4);
    if (have != want || (n == 5 && p_[4] != word[4])) return fail(error::syntax);
    p_ += n;
    return true;
  }

  // After a member or an element: kNext after a comma, kClosed after
  // `close` (then the container's end callback is due), kFailed.
  enum class After { kNext, kClosed, kFailed };
  After after_item(char close) {
    skip_ws();
    if (p_ == end_) return fail(error::incomplete), After::kFailed;
    if (*p_ == close) return ++p_, After::kClosed;
    if (*p_ != ',') return fail(error::syntax), After::kFailed;
    ++p_;
    skip_ws();
    if (p_ == end_) return fail(error::incomplete), After::kFailed;
    return After::kNext;
  }

  // p_ at `open`: true when the container is empty (and p_ past it).
  bool open_container(char close) {
    ++p_;
    skip_ws();
    if (p_ < end_ && *p_ == close) return ++p_, true;
    if (p_ == end_) fail(error::incomplete);
    return false;
  }

  bool object(int depth) {
    if (depth == 0) return fail(error::too_deep);
    if (!call(h_->on_object_begin(*ec_))) return false;
    if (open_container('}')) return call(h_->on_object_end(0, *ec_));
    for (std::size_t n = 1;; ++n) {
      if (p_ == end_) return false;  // open_container() failed it
      if (*p_ != '"') return fail(error::syntax);
      if (!hinted_key()) {
        std::string_view key;
        if (!string(key)) return false;
        if (!call(h_->on_key(sv(key.data(), key.size()), key.size(), *ec_))) return false;
      } else if (*ec_) {
        return false;  // on_hinted_key refused
      }
      skip_ws();
      if (p_ == end_) return fail(error::incomplete);
      if (*p_ != ':') return fail(error::syntax);
      ++p_;
      skip_ws();
      if (p_ == end_) return fail(error::incomplete);
      if constexpr (HasSkipValue<Handler>) {
        if (h_->skip_value()) {
          if (!skip_any()) return false;
        } else if (!value(depth - 1)) {
          return false;
        }
      } else if (!value(depth - 1)) {
        return false;
      }
      const After next = after_item('}');
      if (next == After::kClosed) return call(h_->on_object_end(n, *ec_));
      if (next == After::kFailed) return false;
    }
  }

  bool array(int depth) {
    if (depth == 0) return fail(error::too_deep);
    if (!call(h_->on_array_begin(*ec_))) return false;
    if (open_container(']')) return call(h_->on_array_end(0, *ec_));
    for (std::size_t n = 1;; ++n) {
      if (p_ == end_) return false;  // open_container() failed it
      if (!value(depth - 1)) return false;
      const After next = after_item(']');
      if (next == After::kClosed) return call(h_->on_array_end(n, *ec_));
      if (next == After::kFailed) return false;
    }
  }

  // p_ at a key's opening quote: true when the page holds the handler's
  // hint there, whole and quoted (p_ is then past it, and on_hinted_key has
  // been called: *ec_ is set when it refused).
  [[gnu::always_inline]] bool hinted_key() {
    if constexpr (HasKeyHint<Handler>) {
      const std::string_view hint = h_->key_hint();
      const std::size_t n = hint.size();
      if (n == 0 || static_cast<std::size_t>(end_ - p_) < n + 2 || p_[n + 1] != '"' ||
          !json_sax_detail::same_bytes(p_ + 1, hint.data(), n))
        return false;
      p_ += n + 2;
      if (!h_->on_hinted_key(*ec_)) fail(error::exception);
      return true;
    } else {
      return false;
    }
  }

  // A value the handler has no use for, from p_: delimited, not validated.
  bool skip_any() {
    const char c = *p_;
    if (c == '"') return skip_string();
    if ((c | 0x20) == '{') return skip_container();
    while (p_ < end_ && *p_ != ',' && *p_ != '}' && *p_ != ']' &&
           !(static_cast<unsigned char>(*p_) <= ' '))
      ++p_;
    return p_ < end_ || fail(error::incomplete);
  }

  // p_ at a quote: past the string's closing quote.
  bool skip_string() {
    ++p_;
    for (;;) {
      p_ = json_sax_detail::scan_quote(p_, end_);
      if (p_ == end_) return fail(error::incomplete);
      if (*p_ == '"') return ++p_, true;
      if (end_ - p_ < 2) return fail(error::incomplete);
      p_ += 2;  // a backslash and the byte it escapes
    }
  }

  // p_ at '{' or '[': past the bracket that closes it.
  bool skip_container() {
    // Sixteen bytes at a time: which bytes are quotes, brackets and
    // backslashes; which lie inside a string (a prefix XOR of the quotes,
    // carried from block to block); the brackets outside strings count the
    // depth. A block with a backslash is walked byte by byte.
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
    const __m128i open = _mm_set1_epi8('{'), close = _mm_set1_epi8('}');
    const __m128i lower = _mm_set1_epi8(0x20);
    int depth = 0;
    unsigned in_string = 0;  // 0xFFFF while a string is open at the end of a block
    while (end_ - p_ >= 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p_));
      const __m128i folded = _mm_or_si128(v, lower);
      const auto bs = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, backslash)));
      if (bs != 0) {
        if (!skip_bytes(16, depth, in_string)) return false;
        if (depth == 0) return true;
        continue;
      }
      unsigned q = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)));
      const auto o = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(folded, open)));
      const auto c = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(folded, close)));
      // Bit i: byte i lies inside a string (or is its opening quote).
      unsigned inside = q;
      inside ^= inside << 1;
      inside ^= inside << 2;
      inside ^= inside << 4;
      inside ^= inside << 8;
      inside = (inside ^ in_string) & 0xFFFF;
      unsigned brackets = (o | c) & ~inside & 0xFFFF;
      while (brackets != 0) {
        const unsigned i = static_cast<unsigned>(__builtin_ctz(brackets));
        depth += (o >> i) & 1 ? 1 : -1;
        if (depth == 0) {
          p_ += i + 1;
          return true;
        }
        brackets &= brackets - 1;
      }
      in_string = (inside >> 15) & 1 ? 0xFFFF : 0;
      p_ += 16;
    }
    if (!skip_bytes(static_cast<std::size_t>(end_ - p_), depth, in_string)) return false;
    return depth == 0 || fail(error::incomplete);
  }

  // skip_container's walk over the next `n` bytes, one at a time, or up to
  // the bracket that closes the container (depth 0).
  bool skip_bytes(std::size_t n, int& depth, unsigned& in_string) {
    const char* stop = p_ + n;
    while (p_ < stop) {
      const char c = *p_++;
      if (in_string != 0) {
        if (c == '\\') {
          if (p_ == end_) return fail(error::incomplete);
          ++p_;  // the escaped byte, which may lie past `stop`
        } else if (c == '"') {
          in_string = 0;
        }
      } else if (c == '"') {
        in_string = 0xFFFF;
      } else if ((c | 0x20) == '{') {
        ++depth;
      } else if ((c | 0x20) == '}') {
        if (--depth == 0) return true;
      }
    }
    return true;
  }

  // p_ at the opening quote; on success `out` views the page (no escapes)
  // or buf_ (valid until the next string), and p_ is past the closing quote.
  [[gnu::always_inline]] bool string(std::string_view& out) {
    const char* start = ++p_;
    for (;;) {
      p_ = json_sax_detail::scan_string(p_, end_);
      if (p_ == end_) return fail(error::incomplete);
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        out = std::string_view(start, static_cast<std::size_t>(p_ - start));
        ++p_;
        return true;
      }
      if (c == '\\') return escaped(start, out);
      if (c < 0x20) return fail(error::syntax);
      const int n = json_sax_detail::utf8_length(p_, end_);
      if (n == 0) return fail(error::syntax);
      p_ += n;
    }
  }

  // The rest of a string from its first backslash, unescaped into buf_.
  bool escaped(const char* start, std::string_view& out) {
    buf_.clear();
    put(start, static_cast<std::size_t>(p_ - start));
    for (;;) {
      const char* run = p_;
      p_ = json_sax_detail::scan_string(p_, end_);
      put(run, static_cast<std::size_t>(p_ - run));
      if (p_ == end_) return fail(error::incomplete);
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        out = buf_;
        ++p_;
        return true;
      }
      if (c == '\\') {
        if (!escape()) return false;
        continue;
      }
      if (c < 0x20) return fail(error::syntax);
      const int n = json_sax_detail::utf8_length(p_, end_);
      if (n == 0) return fail(error::syntax);
      put(p_, static_cast<std::size_t>(n));
      p_ += n;
    }
  }

  // One escape at p_ (the backslash), appended to buf_.
  bool escape() {
    if (end_ - p_ < 2) return fail(error::incomplete);
    char one;
    switch (p_[1]) {
      case '"':
        one = '"';
        break;
      case '\\':
        one = '\\';
        break;
      case '/':
        one = '/';
        break;
      case 'b':
        one = '\b';
        break;
      case 'f':
        one = '\f';
        break;
      case 'n':
        one = '\n';
        break;
      case 'r':
        one = '\r';
        break;
      case 't':
        one = '\t';
        break;
      case 'u':
        return unicode_escape();
      default:
        return fail(error::syntax);
    }
    put(&one, 1);
    p_ += 2;
    return true;
  }

  // \uXXXX at p_, or a pair of them for a character past U+FFFF.
  bool unicode_escape() {
    if (end_ - p_ < 6) return fail(error::incomplete);
    const int u1 = json_sax_detail::hex4(p_ + 2);
    if (u1 < 0) return fail(error::expected_hex_digit);
    p_ += 6;
    unsigned cp = static_cast<unsigned>(u1);
    if (u1 >= 0xD800 && u1 <= 0xDFFF) {
      if (u1 > 0xDBFF) return fail(error::illegal_leading_surrogate);
      if (end_ - p_ < 2) return fail(error::incomplete);
      if (p_[0] != '\\' || p_[1] != 'u') return fail(error::syntax);
      if (end_ - p_ < 6) return fail(error::incomplete);
      const int u2 = json_sax_detail::hex4(p_ + 2);
      if (u2 < 0) return fail(error::expected_hex_digit);
      if (u2 < 0xDC00 || u2 > 0xDFFF) return fail(error::illegal_trailing_surrogate);
      p_ += 6;
      cp = ((static_cast<unsigned>(u1) - 0xD800) << 10) + (static_cast<unsigned>(u2) - 0xDC00) +
           0x10000;
    }
    char b[4];
    std::size_t n;
    if (cp < 0x80) {
      b[0] = static_cast<char>(cp), n = 1;
    } else if (cp < 0x800) {
      b[0] = static_cast<char>(0xC0 | (cp >> 6)), b[1] = static_cast<char>(0x80 | (cp & 0x3F)),
      n = 2;
    } else if (cp < 0x10000) {
      b[0] = static_cast<char>(0xE0 | (cp >> 12)),
      b[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      b[2] = static_cast<char>(0x80 | (cp & 0x3F)), n = 3;
    } else {
      b[0] = static_cast<char>(0xF0 | (cp >> 18)),
      b[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      b[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
      b[3] = static_cast<char>(0x80 | (cp & 0x3F)), n = 4;
    }
    put(b, n);
    return true;
  }

  void put(const char* s, std::size_t n) {
    reserve_wiped(buf_, n);
    buf_.append(s, n);
  }

  static bool digit(char c) { return c >= '0' && c <= '9'; }

  // A number by JSON's grammar; its value as basic_parser computes it.
  bool number() {
    const char* begin = p_;
    const bool neg = *p_ == '-';
    if (neg) ++p_;
    if (p_ == end_) return fail(error::incomplete);
    const char* int_digits = p_;
    if (*p_ == '0') {
      ++p_;
    } else if (*p_ >= '1' && *p_ <= '9') {
      while (p_ < end_ && digit(*p_)) ++p_;
    } else {
      return fail(error::syntax);
    }
    const char* int_end = p_;
    const char* frac_digits = p_;
    bool is_double = false;
    if (p_ < end_ && *p_ == '.') {
      frac_digits = ++p_;
      while (p_ < end_ && digit(*p_)) ++p_;
      if (p_ == frac_digits) return fail(p_ == end_ ? error::incomplete : error::syntax);
      is_double = true;
    }
    const char* frac_end = p_;
    int exp = 0, exp_len = 0;
    bool exp_neg = false;
    if (p_ < end_ && (*p_ | 32) == 'e') {
      is_double = true;
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) exp_neg = *p_++ == '-';
      const char* e = p_;
      while (p_ < end_ && digit(*p_)) {
        if (p_ - e < 4) exp = exp * 10 + (*p_ - '0');
        ++p_;
      }
      if (p_ == e) return fail(p_ == end_ ? error::incomplete : error::syntax);
      exp_len = static_cast<int>(p_ - e);
    }
    const std::string_view text(begin, static_cast<std::size_t>(p_ - begin));
    const auto n_int = int_end - int_digits, n_frac = frac_end - frac_digits;
    // Up to 15 digits basic_parser's two paths (33 bytes left after the sign
    // or not) make the same mantissa; past that they can differ.
    if (n_int + n_frac > 15 || exp_len > 4) return long_number(text);
    std::uint64_t mant = 0;
    for (const char* d = int_digits; d < int_end; ++d)
      mant = mant * 10 + static_cast<unsigned>(*d - '0');
    for (const char* d = frac_digits; d < frac_end; ++d)
      mant = mant * 10 + static_cast<unsigned>(*d - '0');
    const sv s(text.data(), text.size());
    if (!is_double) {
      const auto v = static_cast<std::int64_t>(neg ? ~mant + 1 : mant);
      return call(h_->on_int64(v, s, *ec_));
    }
    const auto e = static_cast<std::int32_t>(-n_frac + (exp_neg ? -exp : exp));
    return call(h_->on_double(boost::json::detail::dec_to_float(mant, e, neg), s, *ec_));
  }

  // More digits than fit the fast conversion: basic_parser on the text
  // alone. Its conversion of such a number depends on whether 33 bytes
  // follow the sign (one path or another, which can differ in the last
  // bit), so the text is followed by as many spaces as the page has bytes
  // after it, up to 40, in a buffer wiped like buf_ (a record's value).
  bool long_number(std::string_view text) {
    const std::size_t pad = std::min<std::size_t>(static_cast<std::size_t>(end_ - p_), 40);
    num_.clear();
    reserve_wiped(num_, text.size() + pad);
    num_.append(text);
    num_.append(pad, ' ');
    boost::json::basic_parser<json_sax_detail::NumberCapture> p(boost::json::parse_options{});
    boost::json::error_code ec;
    p.write_some(false, num_.data(), num_.size(), ec);
    if (ec) {
      *ec_ = ec;
      return false;
    }
    const auto& n = p.handler();
    const sv s(text.data(), text.size());
    if (n.kind == 'i') return call(h_->on_int64(n.i, s, *ec_));
    if (n.kind == 'u') return call(h_->on_uint64(n.u, s, *ec_));
    return call(h_->on_double(n.d, s, *ec_));
  }

  const char* p_ = nullptr;
  const char* end_ = nullptr;
  Handler* h_ = nullptr;
  boost::json::error_code* ec_ = nullptr;
  std::string buf_;  // unescaped strings
  std::string num_;  // a long number's text, padded
};

}  // namespace reportd::salesforce
