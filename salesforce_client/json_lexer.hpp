#pragma once
// JsonLexer: the tokens of one JSON document held whole in memory, for
// JsonSax (json_sax.hpp): whitespace, literals, strings (SSE2, 16 bytes at a
// time; unescaped into a buffer wiped when it grows and when the lexer goes,
// since they are record values), numbers with boost::json::basic_parser's
// own values, and the delimiting of a value nobody reads (skip_any). Errors
// go to the error_code given to begin(). One thread.

#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "salesforce_client/json_scan.hpp"
#include "table/wipe.hpp"

namespace reportd::salesforce {

// A number's kind ('i' int64, 'u' uint64, 'd' double), value and text.
struct JsonNumber {
  char kind = 0;
  std::int64_t i = 0;
  std::uint64_t u = 0;
  double d = 0;
  std::string_view text;
};

class JsonLexer {
 public:
  JsonLexer() = default;
  ~JsonLexer() {
    wipe(buf_);
    wipe(num_);
  }
  JsonLexer(const JsonLexer&) = delete;
  JsonLexer& operator=(const JsonLexer&) = delete;

 protected:
  using error = boost::json::error;

  void begin(std::string_view in, boost::json::error_code& ec) {
    p_ = in.data();
    end_ = in.data() + in.size();
    ec_ = &ec;
    ec = {};
  }

  bool fail(error e) {
    if (!*ec_) *ec_ = e;
    return false;
  }

  // Query pages have no whitespace between tokens: one compare when there is none.
  [[gnu::always_inline]] void skip_ws() {
    while (p_ < end_ && static_cast<unsigned char>(*p_) <= ' ' &&
           (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t'))
      ++p_;
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

  // A value the handler has no use for, from p_: delimited, not validated.
  bool skip_any() {
    const char c = *p_;
    if (c == '"') return skip_string();
    if ((c | 0x20) == '{') return skip_container();
    const char* start = p_;
    while (p_ < end_ && *p_ != ',' && *p_ != '}' && *p_ != ']' &&
           !(static_cast<unsigned char>(*p_) <= ' '))
      ++p_;
    if (p_ == start) return fail(error::syntax);  // no value at all: `"a":,` or `"a":}`
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
  bool lex_number(JsonNumber& out) {
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
    if (n_int + n_frac > 15 || exp_len > 4) return long_number(text, out);
    std::uint64_t mant = 0;
    for (const char* d = int_digits; d < int_end; ++d)
      mant = mant * 10 + static_cast<unsigned>(*d - '0');
    for (const char* d = frac_digits; d < frac_end; ++d)
      mant = mant * 10 + static_cast<unsigned>(*d - '0');
    out.text = text;
    if (!is_double) {
      out.kind = 'i';
      out.i = static_cast<std::int64_t>(neg ? ~mant + 1 : mant);
      return true;
    }
    const auto e = static_cast<std::int32_t>(-n_frac + (exp_neg ? -exp : exp));
    out.kind = 'd';
    out.d = boost::json::detail::dec_to_float(mant, e, neg);
    return true;
  }

  // More digits than fit the fast conversion: basic_parser on the text
  // alone. Its conversion of such a number depends on whether 33 bytes
  // follow the sign (one path or another, which can differ in the last
  // bit), so the text is followed by as many spaces as the page has bytes
  // after it, up to 40, in a buffer wiped like buf_ (a record's value).
  bool long_number(std::string_view text, JsonNumber& out) {
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
    out = {n.kind, n.i, n.u, n.d, text};
    return true;
  }

  const char* p_ = nullptr;
  const char* end_ = nullptr;
  boost::json::error_code* ec_ = nullptr;
  std::string buf_;  // unescaped strings
  std::string num_;  // a long number's text, padded
};

}  // namespace reportd::salesforce
