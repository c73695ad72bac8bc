// QueryPageParser's shortcuts (json_sax.hpp's key hints and skipped values)
// against its strict way, on generated pages whose records change their key
// order, casing, escapes and spacing, drop keys, add unknown ones and carry
// attributes with brackets and quotes in their strings: the rows, their
// types and the page's paging fields must be the same both ways.
#include <doctest/doctest.h>

#include <random>
#include <string>

#include "salesforce_client/query_page.hpp"
#include "test_sinks.hpp"

using namespace reportd;
using namespace reportd::salesforce;

namespace {

constexpr std::string_view kSoql =
    "SELECT Id, Name, Account.Name, Account.Owner.Email, Amount, IsWon, CloseDate, "
    "CreatedDate FROM Opportunity";

struct Outcome {
  bool ok = false;
  std::string error;
  QueryPageInfo info;
  testing::RecordingSink sink;
};

Outcome parse(std::string_view page, bool strict) {
  auto f = parse_select_list(kSoql);
  REQUIRE(f.ok());
  QueryPageParser p(std::move(f.value()));
  p.set_strict(strict);
  Outcome o;
  // Twice through the same parser: the second page is parsed with what the
  // first taught it (a page's order can differ from the one before).
  for (int i = 0; i < 2; ++i) {
    auto r = p.parse(page, o.sink);
    o.ok = r.ok();
    if (!r.ok()) {
      o.error = r.status().message();
      return o;
    }
    o.info = r.value();
  }
  return o;
}

class PageMaker {
 public:
  explicit PageMaker(std::uint64_t seed) : rng_(seed) {}

  std::string page(int records) {
    std::string out = "{\"totalSize\":" + std::to_string(records) + ",";
    out += ws() + "\"done\":false,\"nextRecordsUrl\":\"/services/data/v61.0/query/01g-2000\",";
    out += "\"records\":[";
    for (int i = 0; i < records; ++i) {
      if (i > 0) out += "," + ws();
      out += record();
    }
    return out + "]}";
  }

 private:
  bool chance(int percent) { return std::uniform_int_distribution<int>(0, 99)(rng_) < percent; }
  std::string ws() { return chance(10) ? std::string(" \n\t").substr(0, 1 + rng_() % 3) : ""; }

  std::string key(std::string name) {
    if (chance(3)) name[0] = static_cast<char>(name[0] ^ 0x20);  // another casing
    if (chance(3) && name.size() > 1) {                          // an escaped letter
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\u%04x", static_cast<unsigned char>(name[1]));
      name = name.substr(0, 1) + hex + name.substr(2);
    }
    return "\"" + name + "\"" + ws() + ":" + ws();
  }

  std::string text() {
    static const char* kPieces[] = {"a", "}",       "{",        "]",          "[",   "\\\"", "\\\\",
                                    ",", "\\u00fc", "\xc3\xa9", "2024-02-29", "x y", "\\n",  "0"};
    std::string s = "\"";
    for (int n = static_cast<int>(rng_() % 6); n > 0; --n)
      s += kPieces[rng_() % std::size(kPieces)];
    return s + "\"";
  }

  std::string attributes(const char* type) {
    return key("attributes") + "{" + key("type") + "\"" + type + "\"," + key("url") + text() + "}";
  }

  std::string any_value(int depth) {
    switch (rng_() % (depth > 2 ? 4 : 6)) {
      case 0:
        return text();
      case 1:
        return std::to_string(static_cast<int>(rng_() % 2000) - 1000) + (chance(30) ? ".25e1" : "");
      case 2:
        return chance(50) ? "true" : "null";
      case 3:
        return "false";
      case 4:
        return "[" + any_value(depth + 1) + "," + ws() + any_value(depth + 1) + "]";
      default:
        return "{" + key("k") + any_value(depth + 1) + "," + key("l") + "{}}";
    }
  }

  std::string value_of(const std::string& name) {
    if (chance(8)) return "null";
    if (name == "Amount")
      return std::to_string(rng_() % 100000) + "." + std::to_string(rng_() % 100);
    if (name == "IsWon") return chance(50) ? "true" : "false";
    if (name == "CloseDate")
      return chance(80) ? "\"2024-0" + std::to_string(1 + rng_() % 9) + "-15\"" : text();
    if (name == "CreatedDate")
      return "\"2024-03-01T10:0" + std::to_string(rng_() % 10) + ":00.000+0000\"";
    if (name == "Account") {
      std::string owner =
          chance(10) ? "null" : "{" + attributes("User") + "," + key("Email") + text() + "}";
      return "{" + attributes("Account") + "," + key("Name") + text() + "," + key("Owner") + owner +
             "}";
    }
    return text();
  }

  std::string record() {
    std::vector<std::string> names = {"Id",    "Name",      "Account",    "Amount",
                                      "IsWon", "CloseDate", "CreatedDate"};
    if (chance(5)) std::swap(names[rng_() % names.size()], names[rng_() % names.size()]);
    std::vector<std::string> members;
    if (!chance(5)) members.push_back(attributes("Opportunity"));
    for (const auto& n : names) {
      if (chance(4)) continue;  // a key left out
      members.push_back(key(n) + value_of(n));
      if (chance(5)) members.push_back(key("Other__c") + any_value(0));
    }
    std::string out = "{" + ws();
    for (std::size_t i = 0; i < members.size(); ++i) out += (i > 0 ? "," + ws() : "") + members[i];
    return out + ws() + "}";
  }

  std::mt19937_64 rng_;
};

}  // namespace

TEST_CASE("query page hints: generated pages read the same with and without the shortcuts") {
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    PageMaker maker(seed);
    const std::string page = maker.page(1 + static_cast<int>(seed % 40));
    const Outcome strict = parse(page, true), fast = parse(page, false);
    INFO("seed ", seed, ": ", page.substr(0, 400));
    REQUIRE_MESSAGE(strict.ok, strict.error);
    REQUIRE_MESSAGE(fast.ok, fast.error);
    CHECK(fast.info.records == strict.info.records);
    CHECK(fast.info.next_records_url == strict.info.next_records_url);
    CHECK(fast.sink.rows == strict.sink.rows);
    CHECK(fast.sink.types == strict.sink.types);
  }
}

TEST_CASE(
    "query page hints: a skipped value is delimited, not checked; the page still must close") {
  const std::string head = R"({"totalSize":1,"done":true,"records":[{"attributes":)";
  const std::string tail = R"(,"Id":"006A","Name":"N"}]})";
  // Bytes JSON refuses inside a value no column takes: only the strict way refuses them.
  const std::string odd = head + "{\"url\":\"a\x01b\",\"n\":01}" + tail;
  CHECK_FALSE(parse(odd, true).ok);
  const Outcome fast = parse(odd, false);
  REQUIRE_MESSAGE(fast.ok, fast.error);
  CHECK(fast.sink.rows.front()[0] == "006A");
  // A page cut inside a skipped value, or one whose brackets do not close, is refused both ways.
  // So is a key with no value at all where a skipped one would be.
  const std::string no_value =
      R"({"totalSize":1,"done":true,"records":[{"attributes":,"Id":"1"}]})";
  for (const std::string& bad :
       {head + "{\"url\":\"a}", head + "{\"url\":{}" + tail.substr(0, 10), head + "\"unterminated",
        no_value, head + "{}" + R"(,"Other":})" + "]}"}) {
    CHECK_FALSE(parse(bad, true).ok);
    CHECK_FALSE(parse(bad, false).ok);
  }
}
