// Paging ends: a nextRecordsUrl or Bulk locator sent twice ends the query at
// once ("paging-loop"), and so does the page past ClientOptions::max_pages
// ("too-large"); both permanent. With two orgs: the looping one does not
// hold up the other.
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
constexpr const char* kPagingSoql = "SELECT Id, Name FROM Account";

asio::awaitable<std::pair<Status, Status>> both(Client& a, CountingSink& sa, Client& b,
                                                 CountingSink& sb) {
  using namespace asio::experimental::awaitable_operators;
  auto [x, y] = co_await (a.query(kPagingSoql, false, sa) && b.query(kPagingSoql, false, sb));
  co_return std::pair<Status, Status>{x, y};
}

// Bulk API results in chunks of 1,000 rows, polled quickly.
ClientOptions bulk_options() {
  ClientOptions options;
  options.bulk_poll_initial = std::chrono::milliseconds(20);
  options.bulk_max_records = 1000;
  return options;
}
}  // namespace

TEST_CASE("paging: a repeated nextRecordsUrl ends the query; the other org's query completes") {
  auto looping = SimProcess::start({"--rows-account", "9000", "--loop-locator"});
  auto healthy = SimProcess::start({"--rows-account", "9000"});
  if (!looping || !healthy) return;
  asio::io_context io;
  TokenStore store_a, store_b;
  auto a = make_client(io, *looping, store_a);
  auto b = make_client(io, *healthy, store_b);
  CountingSink sa, sb;
  auto [sta, stb] = run(io, both(*a, sa, *b, sb));
  CHECK(sta.kind() == ErrorKind::kPermanent);
  CHECK(sta.code() == "paging-loop");
  CHECK(sta.message().find("nextRecordsUrl") != std::string::npos);
  CHECK(sa.rows == 4000);  // page 1, page 2, then page 2's URL again: stopped
  CHECK(!sa.ended);
  REQUIRE_MESSAGE(stb.ok(), stb.message());
  CHECK(sb.rows == 9000);
}

TEST_CASE("paging: the page past max_pages ends the query with too-large") {
  auto sim = SimProcess::start({"--rows-account", "5000", "--page-size", "100"});
  if (!sim) return;
  asio::io_context io;
  TokenStore store;
  ClientOptions options;
  options.max_pages = 5;
  auto client = make_client(io, *sim, store, options);
  CountingSink sink;
  Status s = run(io, client->query(kPagingSoql, false, sink));
  CHECK(s.kind() == ErrorKind::kPermanent);
  CHECK(s.code() == "too-large");
  CHECK(s.message().find("limits.max_rows_per_run") != std::string::npos);
  CHECK(sink.rows == 500);  // five pages read, the sixth never asked for
}

TEST_CASE("paging: max_pages_for_rows leaves room for Salesforce's smallest pages") {
  CHECK(max_pages_for_rows(1000) == 7);
  CHECK(max_pages_for_rows(0) == 2);
  CHECK(max_pages_for_rows(5'000'000) == 25'002);
}

TEST_CASE("paging: a repeated Bulk API 2.0 result locator ends the query") {
  auto sim = SimProcess::start({"--rows-contact", "5000", "--loop-locator"});
  if (!sim) return;
  asio::io_context io;
  TokenStore store;
  auto client = make_client(io, *sim, store, bulk_options());
  CountingSink sink;
  Status s = run(io, client->bulk_query("SELECT Id, Name FROM Contact", sink));
  CHECK(s.kind() == ErrorKind::kPermanent);
  CHECK(s.code() == "paging-loop");
  CHECK(s.message().find("Bulk result locator") != std::string::npos);
  CHECK(sink.rows == 2000);
}

namespace {
// Counts rows and the pauses between pages; refuses the pause number `stop`.
class PacedCount final : public PacedSink {
 public:
  explicit PacedCount(int stop_at) : stop(stop_at) {}
  Status begin(const table::TableHeader&) override { return {}; }
  Status row(std::span<const table::Cell>) override {
    ++rows;
    return {};
  }
  Status end(const table::TableFooter&) override { return {}; }
  asio::awaitable<Status> before_page() override {
    rows_at_pause.push_back(rows);
    if (static_cast<int>(rows_at_pause.size()) == stop) {
      co_return Status::error(ErrorKind::kTransient, "no room", "scratch-budget");
    }
    co_return Status();
  }
  int stop;
  int rows = 0;
  std::vector<int> rows_at_pause;
};
}  // namespace

TEST_CASE("paging: a paced sink is asked before each page after the first, REST and Bulk") {
  auto sim = SimProcess::start({"--rows-account", "500", "--page-size", "200", "--rows-contact",
                                "2500"});
  if (!sim) return;
  asio::io_context io;
  TokenStore store;
  auto client = make_client(io, *sim, store, bulk_options());
  PacedCount rest(0);
  REQUIRE(run(io, client->query(kPagingSoql, false, rest)).ok());
  CHECK(rest.rows == 500);
  CHECK(rest.rows_at_pause == std::vector<int>{200, 400});  // before pages 2 and 3
  PacedCount bulk(0);
  REQUIRE(run(io, client->bulk_query("SELECT Id, Name FROM Contact", bulk)).ok());
  CHECK(bulk.rows == 2500);
  CHECK(bulk.rows_at_pause == std::vector<int>{1000, 2000});
  // Its error ends the query there: no page after it is read.
  PacedCount refusing(2);
  Status s = run(io, client->query(kPagingSoql, false, refusing));
  CHECK(s.code() == "scratch-budget");
  CHECK(refusing.rows == 400);
}
