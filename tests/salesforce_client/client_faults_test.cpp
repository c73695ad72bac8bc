// The client against every fault knob of reportd-sfsim.
#include <doctest/doctest.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <chrono>

#include "sim_fixture.hpp"
#include "test_sinks.hpp"

using namespace reportd;
using namespace reportd::salesforce;
using namespace reportd::salesforce::testing;
namespace asio = boost::asio;

namespace {
constexpr const char* kSoql = "SELECT Id, Name, Owner.Name, Description FROM Account";

// Three queries at once on one client.
asio::awaitable<std::vector<Status>> three_queries(Client& client, CountingSink& a, CountingSink& b,
                                                   CountingSink& c) {
  using namespace asio::experimental::awaitable_operators;
  auto [x, y, z] = co_await (client.query(kSoql, false, a) && client.query(kSoql, false, b) &&
                             client.query(kSoql, false, c));
  co_return std::vector<Status>{x, y, z};
}
}  // namespace

TEST_CASE("faults: an expired session is refreshed once and the call retried") {
  auto sim = SimProcess::start({"--rows-account", "9000", "--session-expires-after", "2"});
  if (!sim) return;
  asio::io_context io;
  TokenStore store;
  auto client = make_client(io, *sim, store);
  CountingSink sink;
  Status s = run(io, client->query(kSoql, false, sink));
  REQUIRE_MESSAGE(s.ok(), s.message());
  CHECK(sink.rows == 9000);
  CHECK(client->session().token_requests() >= 3);  // 5 pages, 2 calls per token
}

TEST_CASE("faults: concurrent runs share one token request (single flight)") {
  auto sim = SimProcess::start({"--rows-account", "5000", "--session-expires-after", "4"});
  if (!sim) return;
  asio::io_context io;
  TokenStore store;
  auto client = make_client(io, *sim, store);
  CountingSink a, b, c;
  auto statuses = run(io, three_queries(*client, a, b, c));
  for (const auto& s : statuses) CHECK_MESSAGE(s.ok(), s.message());
  CHECK(a.rows == 5000);
  CHECK(b.rows == 5000);
  CHECK(c.rows == 5000);
  // 9 API calls, 4 per token: at least 3 tokens; without single flight each
  // of the three runs would ask on every expiry.
  CHECK(client->session().token_requests() <= 4);
  CHECK(store.loaded.size() == client->session().token_requests());
}

TEST_CASE("faults: a rotated refresh token is stored before it is used") {
  auto sim = SimProcess::start(
      {"--rows-account", "7000", "--session-expires-after", "1", "--rotate-refresh-token"});
  if (!sim) return;
  asio::io_context io;
  TokenStore store;
  auto client = make_client(io, *sim, store);
  CountingSink sink;
  Status s = run(io, client->query(kSoql, false, sink));
  REQUIRE_MESSAGE(s.ok(), s.message());
  CHECK(sink.rows == 7000);
  REQUIRE(store.stored.size() >= 3);
  // Every token request after the first used the token stored by the one before.
  REQUIRE(store.loaded.size() == store.stored.size());
  for (std::size_t i = 1; i < store.loaded.size(); ++i)
    CHECK(store.loaded[i] == store.stored[i - 1]);
  CHECK(store.stored[0] != sim->refresh_token);
}

TEST_CASE("faults: when storing a rotated token fails, its access token is never used") {
  auto sim = SimProcess::start({"--rotate-refresh-token"});
  if (!sim) return;
  asio::io_context io;
  TokenStore store;
  store.fail_store = true;
  auto client = make_client(io, *sim, store);
  CountingSink sink;
  Status s = run(io, client->query(kSoql, false, sink));
  REQUIRE_FALSE(s.ok());
  CHECK(s.kind() == ErrorKind::kIo);
  CHECK(s.message().find("store rotated refresh token") != std::string::npos);
  CHECK_FALSE(client->api_usage());  // no API call was made
}

TEST_CASE("faults: invalid_grant is a permanent auth error and never retried") {
  auto sim = SimProcess::start({"--invalid-grant"});
  if (!sim) return;
  asio::io_context io;
  TokenStore store;
  auto client = make_client(io, *sim, store);
  CountingSink sink;
  Status s = run(io, client->query(kSoql, false, sink));
  REQUIRE_FALSE(s.ok());
  CHECK(s.kind() == ErrorKind::kAuth);
  CHECK(s.code() == "invalid_grant");
  CHECK(s.message().find(store.token) == std::string::npos);
  CHECK(s.message().find("re-authorization") != std::string::npos);
  s = run(io, client->query(kSoql, false, sink));
  CHECK(s.code() == "invalid_grant");
  CHECK(client->session().token_requests() == 1);
}

TEST_CASE("faults: REQUEST_LIMIT_EXCEEDED is a limit error") {
  auto sim = SimProcess::start({"--rows-account", "5000", "--limit-exceeded-after", "1"});
  if (!sim) return;
  asio::io_context io;
  TokenStore store;
  auto client = make_client(io, *sim, store);
  CountingSink sink;
  Status s = run(io, client->query(kSoql, false, sink));
  REQUIRE_FALSE(s.ok());
  CHECK(s.kind() == ErrorKind::kLimit);
  CHECK(s.code() == "REQUEST_LIMIT_EXCEEDED");
  REQUIRE(client->api_usage());
  CHECK(client->api_usage()->used >= 1);
}

TEST_CASE("faults: an HTML 503 page is transient and not quoted") {
  auto sim = SimProcess::start({"--html-503-every", "1"});
  if (!sim) return;
  asio::io_context io;
  TokenStore store;
  auto client = make_client(io, *sim, store);
  CountingSink sink;
  Status s = run(io, client->query(kSoql, false, sink));
  REQUIRE_FALSE(s.ok());
  CHECK(s.kind() == ErrorKind::kTransient);
  CHECK(s.code() == "SERVER_UNAVAILABLE");
  CHECK(s.message().find("<") == std::string::npos);
  CHECK(s.message().find("text/html") != std::string::npos);
}

TEST_CASE("faults: a slow response hits the request deadline") {
  // The answer comes after 5 s, the deadline is 1.5 s: a loaded ASan build
  // (token refresh and TLS included) ends well before the answer would.
  auto sim = SimProcess::start({"--slow-ms", "5000"});
  if (!sim) return;
  asio::io_context io;
  TokenStore store;
  ClientOptions options;
  options.transport.request_timeout = std::chrono::milliseconds(1500);
  auto client = make_client(io, *sim, store, options);
  CountingSink sink;
  const auto t0 = std::chrono::steady_clock::now();
  Status s = run(io, client->query(kSoql, false, sink));
  const auto took = std::chrono::steady_clock::now() - t0;
  REQUIRE_FALSE(s.ok());
  CHECK(s.kind() == ErrorKind::kTransient);
  CHECK(s.code() == "timeout");
  CHECK(took < std::chrono::milliseconds(4000));  // cut off, not answered
}

TEST_CASE("faults: a connection cut mid-body is a transient error") {
  auto sim = SimProcess::start({"--rows-account", "5000", "--cut-body-every", "2"});
  if (!sim) return;
  asio::io_context io;
  TokenStore store;
  auto client = make_client(io, *sim, store);
  CountingSink sink;
  Status s = run(io, client->query(kSoql, false, sink));
  REQUIRE_FALSE(s.ok());
  CHECK(s.kind() == ErrorKind::kTransient);
  CHECK_MESSAGE(
      (s.code() == "connection-cut" || s.code() == "bad-gzip" || s.code() == "bad-response"),
      s.message());
  CHECK(sink.rows == 2000);  // the first page arrived whole
}

TEST_CASE("faults: INVALID_QUERY_LOCATOR fails the query with that code") {
  auto sim = SimProcess::start({"--rows-account", "5000", "--invalid-locator"});
  if (!sim) return;
  asio::io_context io;
  TokenStore store;
  auto client = make_client(io, *sim, store);
  CountingSink sink;
  Status s = run(io, client->query(kSoql, false, sink));
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == "INVALID_QUERY_LOCATOR");
  CHECK(s.kind() == ErrorKind::kTransient);  // re-running the query from the start can work
  CHECK(s.message().find("/query/") != std::string::npos);
}

TEST_CASE("faults: Bulk API 2.0 survives session expiry between poll and results") {
  auto sim = SimProcess::start({"--rows-contact", "3000", "--session-expires-after", "2"});
  if (!sim) return;
  asio::io_context io;
  TokenStore store;
  ClientOptions options;
  options.bulk_poll_initial = std::chrono::milliseconds(20);
  options.bulk_max_records = 1000;
  auto client = make_client(io, *sim, store, options);
  CountingSink sink;
  Status s = run(io, client->bulk_query("SELECT Id, Name FROM Contact", sink));
  REQUIRE_MESSAGE(s.ok(), s.message());
  CHECK(sink.rows == 3000);
  CHECK(client->session().token_requests() >= 2);
}
