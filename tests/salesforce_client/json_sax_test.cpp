// JsonSax against boost::json::basic_parser (fuzz/json_sax_diff.hpp): the
// same verdict and the same callbacks on edge cases and on random documents
// and their random mutations.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "fuzz/json_sax_diff.hpp"

namespace json_sax_test {
using reportd::salesforce::json_sax_diff::compare;
using reportd::salesforce::json_sax_diff::with_json_sax;

const char* const kEdges[] = {
    "",
    " ",
    "{",
    "}",
    "[",
    "]",
    "{}",
    "[]",
    " {} ",
    "{} x",
    "[] ]",
    "{\"a\":1}",
    "{\"a\":1,}",
    "[1,]",
    "{\"a\" 1}",
    "{\"a\":}",
    "{,}",
    "[,1]",
    "{\"a\":1 \"b\":2}",
    "{1:2}",
    "\"abc\"",
    "\"abc",
    "\"a\\\"",
    "\"\\u00e9\"",
    "\"\\u00E9\"",
    "\"\\ud83d\\ude00\"",
    "\"\\ud83d\"",
    "\"\\ud83dx\"",
    "\"\\ud83d\\u0041\"",
    "\"\\ude00\"",
    "\"\\u12\"",
    "\"\\u12g4\"",
    "\"\\x\"",
    "\"\\/\\b\\f\\n\\r\\t\"",
    "\"a\tb\"",
    "\"\x01\"",
    "\"\x7f\"",
    "\"\xc3\xa9\"",
    "\"\xc3\"",
    "\"\xc0\x80\"",
    "\"\xe0\x80\x80\"",
    "\"\xed\xa0\x80\"",
    "\"\xef\xbf\xbf\"",
    "\"\xf0\x9f\x98\x80\"",
    "\"\xf4\x90\x80\x80\"",
    "\"\xf5\x80\x80\x80\"",
    "\"\x80\"",
    "\"\xff\"",
    "0",
    "-0",
    "-",
    "01",
    "1.",
    "1.e5",
    ".5",
    "1e",
    "1e+",
    "1E-2",
    "-0.0",
    "0e5",
    "00",
    "123456789012345678",
    "1234567890123456789",
    "12345678901234567890",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "1.7976931348623157e308",
    "1e309",
    "-1e309",
    "1e-400",
    "4.9e-324",
    "0.1",
    "0.30000000000000004",
    "6164031.79",
    "371.4",
    "1e9999",
    "1e99999",
    "1e-99999",
    "1.000000000000000000001",
    "123456789.123456789",
    "[1,2.5,-3e2]",
    "true",
    "tru",
    "truex",
    "false",
    "fals",
    "null",
    "nul",
    "[true,false,null]",
    "[tRue]",
    "/**/1",
    "1 //",
    "\xef\xbb\xbf{}",
    "{\"a\":{\"b\":{\"c\":[{\"d\":\"e\"}]}}}",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
    "{\"a\":1}\n\n",
    "\n\r\t1\n",
};

// A random JSON-ish document: mostly valid, built from the pieces query pages have.
std::string random_doc(std::mt19937& rng, int depth) {
  static const char* const kAtoms[] = {"0",
                                       "-1",
                                       "6164031.79",
                                       "90",
                                       "371.4",
                                       "1e5",
                                       "-0.0",
                                       "12345678901234567890",
                                       "1.5E-3",
                                       "true",
                                       "false",
                                       "null",
                                       "\"\"",
                                       "\"Stark \\\"& Co.\\\" 800\"",
                                       "\"\xce\x94"
                                       "elta\"",
                                       "\"2019-01-01T00:15:41.000+0000\"",
                                       "\"2023-03-06\"",
                                       "\"\\u00e9\\ud83d\\ude00\"",
                                       "\"a\\\\b\\/c\\n\"",
                                       "\"0065g0000000000AAA\""};
  static const char* const kKeys[] = {"attributes",     "type",      "url",     "Id",   "Name",
                                      "Account",        "Amount",    "records", "done", "totalSize",
                                      "nextRecordsUrl", "k\\u0065y", "\xce\x94"};
  const int pick = static_cast<int>(rng() % 10);
  if (depth > 4 || pick < 5) return kAtoms[rng() % std::size(kAtoms)];
  const int n = static_cast<int>(rng() % 5);
  std::string s = pick < 8 ? "{" : "[";
  for (int i = 0; i < n; ++i) {
    if (i) s += rng() % 8 == 0 ? " , " : ",";
    if (s[0] == '{') s += std::string("\"") + kKeys[rng() % std::size(kKeys)] + "\":";
    s += random_doc(rng, depth + 1);
  }
  s += s[0] == '{' ? "}" : "]";
  return s;
}

std::string mutate(std::mt19937& rng, std::string s) {
  static const char kBytes[] = "{}[]\",:\\u0123456789.eE+- \n\txtfn\x80\xc3\xed\xff";
  const int edits = 1 + static_cast<int>(rng() % 3);
  for (int e = 0; e < edits && !s.empty(); ++e) {
    const std::size_t at = rng() % s.size();
    const char c = kBytes[rng() % (sizeof kBytes - 1)];
    switch (rng() % 4) {
      case 0:
        s[at] = c;
        break;
      case 1:
        s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), c);
        break;
      case 2:
        s.erase(at, 1);
        break;
      default:
        s.resize(at);
        break;
    }
  }
  return s;
}

}  // namespace json_sax_test
using namespace json_sax_test;

TEST_CASE("json_sax: the same verdict and callbacks as basic_parser on edge cases") {
  for (const char* text : kEdges) {
    CAPTURE(text);
    CHECK(compare(text) == "");
  }
  CHECK(with_json_sax("{\"a\":[1,\"x\"]}").ok);
  CHECK_FALSE(with_json_sax("{\"a\":[1,\"x\"]").ok);
  CHECK_FALSE(with_json_sax("{\"a\":\"\\ud800\"}").ok);
}

TEST_CASE("json_sax: the same as basic_parser on random documents and mutations") {
  std::mt19937 rng(20261206);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string doc = random_doc(rng, 0);
    const std::string text = i % 2 ? mutate(rng, doc) : doc;
    CAPTURE(text);
    REQUIRE(compare(text) == "");
    accepted += with_json_sax(text).ok;
  }
  CHECK(accepted > 10000);  // both halves were exercised
  CHECK(accepted < 20000);
}
