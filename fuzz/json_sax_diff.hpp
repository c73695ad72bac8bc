#pragma once
// The differential check of JsonSax against boost::json::basic_parser (the
// parser it replaces on query pages): both parse the same bytes into a
// Recorder, which writes every callback, with its whole key, string or
// number text and the exact bits of a number's value, into a log. The two
// must agree on whether the text is JSON and, when it is, on the log.
// Used by fuzz/json_sax_fuzz.cpp and tests/salesforce_client/json_sax_test.cpp.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "salesforce_client/json_sax.hpp"

namespace reportd::salesforce::json_sax_diff {
namespace json = boost::json;

struct Recorder {
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);

  std::string log, part;

  void put(char tag, std::string_view s) {
    log += tag;
    log += std::to_string(s.size());
    log += ':';
    log.append(s);
  }
  void put_text(char tag, json::string_view s) {
    part.append(s.data(), s.size());
    put(tag, part);
    part.clear();
  }
  template <class T>
  void bits(T v) {
    char b[sizeof v];
    std::memcpy(b, &v, sizeof v);
    log.append(b, sizeof v);
  }
  bool on_document_begin(json::error_code&) { return log += 'B', true; }
  bool on_document_end(json::error_code&) { return log += 'E', true; }
  bool on_object_begin(json::error_code&) { return log += '{', true; }
  bool on_object_end(std::size_t n, json::error_code&) {
    return log += '}' + std::to_string(n), true;
  }
  bool on_array_begin(json::error_code&) { return log += '[', true; }
  bool on_array_end(std::size_t n, json::error_code&) {
    return log += ']' + std::to_string(n), true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    return part.append(s.data(), s.size()), true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    return put_text('K', s), true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    return part.append(s.data(), s.size()), true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    return put_text('S', s), true;
  }
  bool on_number_part(json::string_view s, json::error_code&) {
    return part.append(s.data(), s.size()), true;
  }
  bool on_int64(std::int64_t v, json::string_view s, json::error_code&) {
    return put_text('I', s), bits(v), true;
  }
  bool on_uint64(std::uint64_t v, json::string_view s, json::error_code&) {
    return put_text('U', s), bits(v), true;
  }
  bool on_double(double v, json::string_view s, json::error_code&) {
    return put_text('D', s), bits(v), true;
  }
  bool on_bool(bool b, json::error_code&) { return log += b ? 't' : 'f', true; }
  bool on_null(json::error_code&) { return log += 'n', true; }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }
};

struct Outcome {
  bool ok = false;
  std::string log;  // meaningful when ok
};

// basic_parser as QueryPageParser used it: one write_some(false) of the
// whole text, valid when it reports no error and is done.
inline Outcome with_boost(std::string_view text) {
  json::basic_parser<Recorder> p(json::parse_options{});
  json::error_code ec;
  p.write_some(false, text.data(), text.size(), ec);
  return {!ec && p.done(), std::move(p.handler().log)};
}

inline Outcome with_json_sax(std::string_view text) {
  Recorder r;
  JsonSax<Recorder> p;
  json::error_code ec;
  const bool ok = p.parse(text, r, ec);
  return {ok && !ec, std::move(r.log)};
}

// Empty when both agree; else what differs.
inline std::string compare(std::string_view text) {
  const Outcome a = with_boost(text), b = with_json_sax(text);
  if (a.ok != b.ok)
    return a.ok ? "basic_parser accepts, JsonSax refuses" : "JsonSax accepts, basic_parser refuses";
  if (a.ok && a.log != b.log) return "the callbacks differ";
  return {};
}

}  // namespace reportd::salesforce::json_sax_diff
