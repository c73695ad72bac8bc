// Memory stays at one page whatever the row count: the peak RSS growth of a
// large query is bounded. Sanitizer builds only check the row count (ASan's
// quarantine keeps freed pages resident).
#include <doctest/doctest.h>

#include "sim_fixture.hpp"
#include "test_sinks.hpp"

using namespace reportd;
using namespace reportd::salesforce;
using namespace reportd::salesforce::testing;
namespace asio = boost::asio;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

TEST_CASE("memory: a 200,000-row query keeps peak RSS growth under 24 MB") {
  constexpr std::uint64_t kRows = 200'000;
  auto sim = SimProcess::start({"--rows-account", std::to_string(kRows)});
  if (!sim) return;
  asio::io_context io;
  TokenStore store;
  auto client = make_client(io, *sim, store);
  const char* soql =
      "SELECT Id, Name, Owner.Name, Description, Industry, AnnualRevenue, CreatedDate FROM Account";
  // Warm up: TLS, parser and allocator state for one page.
  CountingSink warm;
  Status s = run(io, client->query(std::string(soql) + " LIMIT 2000", false, warm));
  REQUIRE_MESSAGE(s.ok(), s.message());
  const bool reset = reset_peak_rss();
  const long before = peak_rss_kib();
  CountingSink sink;
  s = run(io, client->query(soql, false, sink));
  REQUIRE_MESSAGE(s.ok(), s.message());
  const long after = peak_rss_kib();
  CHECK(sink.rows == kRows);
  MESSAGE("peak RSS " << before << " KiB -> " << after << " KiB for " << sink.rows << " rows ("
                      << sink.bytes << " bytes of cell text); reset=" << reset);
  if (!kSanitized) CHECK(after - before < 24 * 1024);
}
