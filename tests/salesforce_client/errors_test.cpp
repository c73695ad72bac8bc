// Error classification, Sforce-Limit-Info, cell typing, URLs, gzip.
#include <doctest/doctest.h>
#include <zlib.h>

#include <chrono>
#include <optional>
#include <random>

#include "gzip_of.hpp"
#include "salesforce_client/cell_parse.hpp"
#include "salesforce_client/error.hpp"
#include "salesforce_client/http_message.hpp"
#include "salesforce_client/inflate.hpp"
#include "salesforce_client/limit_info.hpp"

using namespace reportd;
using namespace reportd::salesforce;
using reportd::salesforce::testing::gzip_of;

TEST_CASE("errors: REST error bodies map to kinds and keep the errorCode") {
  struct Case {
    int status;
    std::string_view content_type, body;
    ErrorKind kind;
    std::string_view code;
  };
  const Case cases[] = {
      {400, "application/json",
       R"([{"message":"unexpected token: q","errorCode":"MALFORMED_QUERY"}])",
       ErrorKind::kPermanent, "MALFORMED_QUERY"},
      {401, "application/json",
       R"([{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}])",
       ErrorKind::kAuth, "INVALID_SESSION_ID"},
      {403, "application/json",
       R"([{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}])",
       ErrorKind::kLimit, "REQUEST_LIMIT_EXCEEDED"},
      {400, "application/json",
       R"([{"message":"invalid query locator","errorCode":"INVALID_QUERY_LOCATOR"}])",
       ErrorKind::kTransient, "INVALID_QUERY_LOCATOR"},
      {503, "text/html; charset=UTF-8", "<html><body>Secret 001ABC</body></html>",
       ErrorKind::kTransient, "SERVER_UNAVAILABLE"},
      {500, "application/json", R"([{"message":"boom","errorCode":"UNKNOWN_EXCEPTION"}])",
       ErrorKind::kTransient, "UNKNOWN_EXCEPTION"},
      {404, "application/json", R"([{"errorCode":"NOT_FOUND","message":"gone"}])",
       ErrorKind::kPermanent, "NOT_FOUND"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.body);
    Error e =
        rest_error(c.status, c.content_type, c.body, "salesforce: GET /services/data/v61.0/query");
    CHECK(e.kind == c.kind);
    CHECK(e.error_code == c.code);
    Status s = e.to_status();
    CHECK(s.code() == c.code);
    CHECK(s.message().rfind(
              "salesforce: GET /services/data/v61.0/query: " + std::to_string(c.status), 0) == 0);
  }
  Error html = rest_error(503, "text/html; charset=UTF-8", "<html>Secret 001ABC</html>", "ctx");
  CHECK(html.to_string() == "ctx: 503 SERVER_UNAVAILABLE: non-JSON body (text/html)");
}

TEST_CASE("errors: OAuth invalid_grant is kAuth with code invalid_grant") {
  Error e =
      oauth_error(400, "application/json",
                  R"({"error":"invalid_grant","error_description":"expired access/refresh token"})",
                  "salesforce: POST /services/oauth2/token");
  CHECK(e.kind == ErrorKind::kAuth);
  CHECK(e.error_code == "invalid_grant");
  CHECK(oauth_error(503, "text/html", "<html>", "c").kind == ErrorKind::kTransient);
  CHECK(oauth_error(400, "application/json", R"({"error":"unsupported_grant_type"})", "c").kind ==
        ErrorKind::kPermanent);
}

TEST_CASE("errors: one_line flattens and bounds messages") {
  CHECK(one_line("a\nb\r\n  c") == "a b  c");
  CHECK(one_line(std::string(500, 'x'), 10) == "xxxxxxxxxx...");
  CHECK(one_line("\xc3\xbc\xc3\xbc", 3) == "\xc3\xbc...");
}

TEST_CASE("limits: Sforce-Limit-Info api-usage") {
  auto u = parse_limit_info("api-usage=18/5000");
  REQUIRE(u);
  CHECK(u->used == 18);
  CHECK(u->limit == 5000);
  u = parse_limit_info("per-app-api-usage=17/250(appName=x); api-usage=25/15000; api-bursts=1/750");
  REQUIRE(u);
  CHECK(u->used == 25);
  CHECK(u->limit == 15000);
  CHECK_FALSE(parse_limit_info("per-app-api-usage=17/250(appName=x)"));
  CHECK_FALSE(parse_limit_info(""));
  CHECK_FALSE(parse_limit_info("api-usage=abc"));
}

TEST_CASE("cells: Salesforce dates and datetimes") {
  CHECK(parse_date("1970-01-01") == 0);
  CHECK(parse_date("2024-02-29") == 19782);
  CHECK_FALSE(parse_date("2023-02-29"));
  CHECK_FALSE(parse_date("2024-1-01"));
  CHECK(parse_datetime("1970-01-01T00:00:00.000+0000") == 0);
  CHECK(parse_datetime("2011-07-07T00:37:00.000+0000") == 1309999020000);
  CHECK(parse_datetime("1970-01-01T01:00:00.250+01:00") == 250);
  CHECK(parse_datetime("1970-01-01T00:00:01Z") == 1000);
  CHECK_FALSE(parse_datetime("1970-01-01T00:00:01"));
  CHECK_FALSE(parse_datetime("1970-01-01 00:00:01Z"));
  CHECK(sniff_string_cell("2024-01-31").type == table::CellType::kDate);
  CHECK(sniff_string_cell("2024-01-31T10:00:00.000Z").type == table::CellType::kDateTime);
  CHECK(sniff_string_cell("2024-01-31 notes").type == table::CellType::kString);
}

// Salesforce's own datetime spellings are read by a fast path; the same
// instant spelled otherwise ("+HH:MM", a fourth fraction digit) goes the
// general way. Both must agree on every string, valid or not, and dates
// must agree with <chrono>'s calendar.
TEST_CASE("cells: the fast datetime path agrees with the general one") {
  std::mt19937 rng(14);
  auto num = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  auto two = [](int v) {
    return std::string(1, static_cast<char>('0' + v / 10)) + static_cast<char>('0' + v % 10);
  };
  const char noise[] = {'0', '9', '/', ':', '-', 'T', ' ', 'a', '.', '+', '\x80', '\xff'};
  int valid = 0;
  for (int i = 0; i < 40000; ++i) {
    const int y = num(0, 9999);
    std::string date = two(y / 100) + two(y % 100) + "-" + two(num(0, 13)) + "-" + two(num(0, 32));
    std::string time = "T" + two(num(0, 25)) + ":" + two(num(0, 61)) + ":" + two(num(0, 62)) + "." +
                       std::to_string(num(100, 999));
    if (num(0, 9) == 0) time[static_cast<std::size_t>(num(1, 10))] = noise[num(0, 11)];
    if (num(0, 9) == 0) date[static_cast<std::size_t>(num(0, 9))] = noise[num(0, 11)];
    const std::string sign = num(0, 1) ? "+" : "-", oh = two(num(0, 99)), om = two(num(0, 99));
    const std::string fast = date + time + sign + oh + om;
    const std::string general = date + time + sign + oh + ":" + om;
    CAPTURE(fast);
    const auto ms = parse_datetime(fast);
    CHECK(ms == parse_datetime(general));
    CHECK(parse_datetime(date + time + "Z") == parse_datetime(date + time + "0Z"));
    valid += ms.has_value();
    // <chrono>'s calendar on the same text, digit by digit.
    auto at = [&date](std::size_t k) { return static_cast<unsigned>(date[k] - '0'); };
    bool shaped = date[4] == '-' && date[7] == '-';
    for (std::size_t k : {0, 1, 2, 3, 5, 6, 8, 9}) shaped = shaped && at(k) <= 9;
    std::optional<std::int64_t> days;
    if (shaped) {
      const std::chrono::year_month_day ymd{
          std::chrono::year{static_cast<int>(at(0) * 1000 + at(1) * 100 + at(2) * 10 + at(3))},
          std::chrono::month{at(5) * 10 + at(6)}, std::chrono::day{at(8) * 10 + at(9)}};
      if (ymd.ok()) days = std::chrono::sys_days{ymd}.time_since_epoch().count();
    }
    CHECK(parse_date(date) == days);
  }
  CHECK(valid > 1000);  // the valid ones are not rare
}

TEST_CASE("urls: https only, origin and target split, encoding") {
  auto u = parse_https_url("https://127.0.0.1:8443/services/data/v61.0/query?q=a%20b");
  REQUIRE(u.ok());
  CHECK(u.value().origin.host == "127.0.0.1");
  CHECK(u.value().origin.port == "8443");
  CHECK(u.value().target == "/services/data/v61.0/query?q=a%20b");
  CHECK(path_of(u.value().target) == "/services/data/v61.0/query");
  CHECK(parse_https_url("https://login.salesforce.com").value().origin.port == "443");
  CHECK_FALSE(parse_https_url("http://login.salesforce.com").ok());
  CHECK(url_encode("a b+c/'") == "a%20b%2Bc%2F%27");
}

TEST_CASE("gzip: inflate with a size bound") {
  std::string plain(100000, 'a');
  const std::string packed = gzip_of(plain);
  auto out = gunzip(packed, 1 << 20);
  REQUIRE(out.ok());
  CHECK(out.value() == plain);
  CHECK(gunzip(packed, 1000).status().kind() == ErrorKind::kLimit);
  CHECK(gunzip(std::string_view(packed).substr(0, packed.size() / 2), 1 << 20).status().code() ==
        "bad-gzip");
}

TEST_CASE("gzip: a lying size trailer, a second member or trailing bytes inflate as zlib does") {
  std::string plain;
  for (int i = 0; i < 20000; ++i) plain += "{\"Id\":\"006" + std::to_string(i * 7919) + "\"},";
  const std::string packed = gzip_of(plain);
  REQUIRE(gunzip(packed, 1 << 24).value() == plain);
  // Exactly as large as the limit: fits.
  CHECK(gunzip(packed, plain.size()).value() == plain);
  CHECK(gunzip(packed, plain.size() - 1).status().kind() == ErrorKind::kLimit);
  // A second member, or bytes after the member: the first member, as before.
  CHECK(gunzip(packed + packed, 1 << 24).value() == plain);
  CHECK(gunzip(packed + "junk", 1 << 24).value() == plain);
  // ISIZE (the last four bytes) smaller or larger than the truth: corrupt.
  for (int delta : {-1, 1}) {
    std::string lying = packed;
    lying[lying.size() - 4] = static_cast<char>(lying[lying.size() - 4] + delta);
    CHECK(gunzip(lying, 1 << 24).status().code() == "bad-gzip");
  }
}

TEST_CASE("gzip: inflated piece by piece, bounded, with the consumer's error returned as is") {
  std::string plain;
  for (int i = 0; i < 60000; ++i) plain += "006" + std::to_string(i * 7919) + ",Acme\n";
  REQUIRE(plain.size() > 3 * 256 * 1024);  // more than one piece
  const std::string packed = gzip_of(plain);
  std::string joined;
  int pieces = 0;
  auto collect = [&](std::string_view piece) {
    ++pieces;
    joined.append(piece);
    return Status();
  };
  REQUIRE(gunzip_each(packed, 1 << 24, collect).ok());
  CHECK(joined == plain);
  CHECK(pieces > 1);
  CHECK(gunzip_each(packed, plain.size(), [](std::string_view) { return Status(); }).ok());
  CHECK(gunzip_each(packed, plain.size() - 1, [](std::string_view) { return Status(); }).kind() ==
        ErrorKind::kLimit);
  CHECK(gunzip_each(std::string_view(packed).substr(0, packed.size() / 2), 1 << 24,
                    [](std::string_view) { return Status(); })
            .code() == "bad-gzip");
  std::string lying = packed;
  lying[lying.size() - 4] = static_cast<char>(lying[lying.size() - 4] + 1);
  CHECK(gunzip_each(lying, 1 << 24, [](std::string_view) { return Status(); }).code() ==
        "bad-gzip");
  int calls = 0;
  Status stop = gunzip_each(packed, 1 << 24, [&calls](std::string_view) {
    ++calls;
    return Status::error(ErrorKind::kLimit, "sink full", "sink-full");
  });
  CHECK(stop.code() == "sink-full");
  CHECK(calls == 1);
}
