// Kept-alive connections while idle (TransportOptions::max_idle_time): one
// parked shortly is reused; one parked longer is closed, by
// close_stale_idle() or when a request would take it, and the request opens
// a new one, resuming the TLS session of the last one. With two orgs: each
// client's idle connections are its own, and closing one org's leaves the
// other's.
#include <doctest/doctest.h>

#include <chrono>

#include "sim_fixture.hpp"
#include "test_sinks.hpp"

using namespace reportd;
using namespace reportd::salesforce;
using namespace reportd::salesforce::testing;
namespace asio = boost::asio;

namespace {
constexpr const char* kIdleSoql = "SELECT Id, Name, Description FROM Account";

ClientOptions idle_for(std::chrono::milliseconds max_idle) {
  ClientOptions options;
  options.transport.max_idle_time = max_idle;
  return options;
}

// One query to the end; its rows are added to `sink`.
Status query_to_end(asio::io_context& io, Client& client, CountingSink& sink) {
  return run(io, client.query(kIdleSoql, false, sink));
}
}  // namespace

TEST_CASE("idle: a connection parked less than max_idle_time is reused, its buffer back") {
  auto sim = SimProcess::start({"--rows-account", "2500"});
  if (!sim) return;
  asio::io_context io;
  TokenStore store;
  auto client = make_client(io, *sim, store, idle_for(std::chrono::minutes(10)));
  CountingSink first, second;
  REQUIRE(query_to_end(io, *client, first).ok());
  const std::size_t opened = client->pool().connections_opened();
  CHECK(client->pool().idle_connections() == opened);
  CHECK(client->pool().close_stale_idle() == 0);
  // Parked, its read buffer was given back; taken again it reads whole pages.
  REQUIRE(query_to_end(io, *client, second).ok());
  CHECK(second.rows == 2500);
  CHECK(client->pool().connections_opened() == opened);
}

TEST_CASE("idle: a connection parked max_idle_time or longer is closed, not reused") {
  auto sim = SimProcess::start({"--rows-account", "300"});
  if (!sim) return;
  asio::io_context io;
  TokenStore store;
  auto client = make_client(io, *sim, store, idle_for(std::chrono::milliseconds(0)));
  CountingSink sink;
  REQUIRE(query_to_end(io, *client, sink).ok());
  // The token request's connection was already stale when the query came.
  const std::size_t opened = client->pool().connections_opened();
  CHECK(opened == 2);
  const std::size_t idle = client->pool().idle_connections();
  REQUIRE(idle >= 1);
  CHECK(client->pool().close_stale_idle() == idle);
  CHECK(client->pool().idle_connections() == 0);
  // The next request opens a new one; so does each after it (each parked
  // one is stale by the time it would be taken). Each new connection's
  // handshake resumes the TLS session the last one to that origin was given.
  const std::size_t resumed = client->pool().handshakes_resumed();
  CHECK(resumed < opened);  // the first connection to each origin: a full handshake
  REQUIRE(query_to_end(io, *client, sink).ok());
  CHECK(client->pool().connections_opened() == opened + 1);
  CHECK(client->pool().handshakes_resumed() == resumed + 1);
  REQUIRE(query_to_end(io, *client, sink).ok());
  CHECK(client->pool().connections_opened() == opened + 2);
  CHECK(client->pool().handshakes_resumed() == resumed + 2);
  CHECK(sink.rows == 900);
}

TEST_CASE(
    "idle: two orgs' clients keep their own idle connections; closing one's keeps the other's") {
  auto sim_a = SimProcess::start({"--rows-account", "300"});
  auto sim_b = SimProcess::start({"--rows-account", "300"});
  if (!sim_a || !sim_b) return;
  asio::io_context io;
  TokenStore store_a, store_b;
  auto a = make_client(io, *sim_a, store_a, idle_for(std::chrono::milliseconds(0)));
  auto b = make_client(io, *sim_b, store_b, idle_for(std::chrono::minutes(10)));
  CountingSink sa, sb;
  REQUIRE(query_to_end(io, *a, sa).ok());
  REQUIRE(query_to_end(io, *b, sb).ok());
  const std::size_t opened_b = b->pool().connections_opened();
  REQUIRE(b->pool().idle_connections() >= 1);
  CHECK(a->pool().close_stale_idle() >= 1);
  CHECK(a->pool().idle_connections() == 0);
  CHECK(b->pool().idle_connections() == opened_b);
  // Org a opens a new connection of its own; org b still reuses its own.
  REQUIRE(query_to_end(io, *a, sa).ok());
  REQUIRE(query_to_end(io, *b, sb).ok());
  CHECK(b->pool().connections_opened() == opened_b);
  CHECK(sa.rows == 600);
  CHECK(sb.rows == 600);
}

TEST_CASE("idle: two orgs' clients share one TLS context, never a session") {
  // One server, two clients (as two orgs whose instances answer on one
  // origin would be): the context holds settings only, each pool its own
  // sessions, so b's first handshake is a full one although a holds a
  // session for the same origin.
  auto sim = SimProcess::start({"--rows-account", "300"});
  if (!sim) return;
  asio::io_context io;
  TokenStore store_a, store_b;
  auto a = make_client(io, *sim, store_a, idle_for(std::chrono::milliseconds(0)));
  auto b = make_client(io, *sim, store_b, idle_for(std::chrono::minutes(10)));
  CHECK(a->pool().tls_context() == b->pool().tls_context());
  CountingSink sa, sb;
  REQUIRE(query_to_end(io, *a, sa).ok());
  CHECK(a->pool().close_stale_idle() >= 1);
  REQUIRE(query_to_end(io, *a, sa).ok());  // a new connection, resuming a's session
  const std::size_t resumed_a = a->pool().handshakes_resumed();
  CHECK(resumed_a >= 1);
  REQUIRE(query_to_end(io, *b, sb).ok());
  CHECK(b->pool().connections_opened() >= 1);
  CHECK(b->pool().handshakes_resumed() == 0);
  CHECK(a->pool().handshakes_resumed() == resumed_a);
  CHECK(sa.rows == 600);
  CHECK(sb.rows == 300);
}
