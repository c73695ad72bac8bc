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
// The tokens come from JsonLexer (json_lexer.hpp).

#include <concepts>
#include <string_view>

#include "salesforce_client/json_lexer.hpp"

namespace reportd::salesforce {

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
class JsonSax : private JsonLexer {
 public:
  static constexpr int kMaxDepth = 32;  // boost::json::parse_options::max_depth's default

  // Parses the JSON value at the start of `in` into `h`. False with `ec`
  // set when the text is not JSON or a callback returned false (the
  // callback's own error, else error::exception).
  bool parse(std::string_view in, Handler& h, boost::json::error_code& ec) {
    begin(in, ec);
    h_ = &h;
    if (!call(h.on_document_begin(ec))) return false;
    skip_ws();
    if (p_ == end_) return fail(boost::json::error::incomplete);
    if (!value(kMaxDepth)) return false;
    if (!call(h.on_document_end(ec))) return false;
    skip_ws();
    return true;
  }

 private:
  using sv = boost::json::string_view;

  bool call(bool ok) { return ok || fail(error::exception); }

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

  bool number() {
    JsonNumber n;
    if (!lex_number(n)) return false;
    const sv s(n.text.data(), n.text.size());
    if (n.kind == 'i') return call(h_->on_int64(n.i, s, *ec_));
    if (n.kind == 'u') return call(h_->on_uint64(n.u, s, *ec_));
    return call(h_->on_double(n.d, s, *ec_));
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
      bool skip = false;
      if constexpr (HasSkipValue<Handler>) skip = h_->skip_value();
      if (!(skip ? skip_any() : value(depth - 1))) return false;
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

  Handler* h_ = nullptr;
};

}  // namespace reportd::salesforce
