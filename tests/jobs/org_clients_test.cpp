// OrgClients with real salesforce::Clients, a real SQLite store (":memory:")
// and a local TCP listener that accepts and never answers, so a token
// request stays suspended for as long as the test wants: a forgotten client
// lives exactly as long as a lease (a run's, a sync's) holds it.
#include "jobs/org_clients.hpp"

#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "jobs/connections.hpp"
#include "store/sqlite_store.hpp"
#include "test_keys.hpp"

namespace asio = boost::asio;
using namespace reportd;  // NOLINT: test file

namespace {

class NullSink final : public table::RowSink {
 public:
  Status begin(const table::TableHeader&) override { return {}; }
  Status row(std::span<const table::Cell>) override { return {}; }
  Status end(const table::TableFooter&) override { return {}; }
};

asio::awaitable<void> query_shared(std::shared_ptr<salesforce::Api> api,
                                   std::optional<Status>* out) {
  NullSink sink;
  Status st = co_await api->query("SELECT Id FROM Account", false, sink);
  out->emplace(std::move(st));
}

using reportd::testing::one_key;

// A "login server" that takes TCP connections and says nothing.
struct Fixture {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor{io, {asio::ip::make_address("127.0.0.1"), 0}};
  std::unique_ptr<store::SqliteStore> db;
  std::unique_ptr<store::StoreThread> thread;
  crypto::KeyRing keys = one_key();
  crypto::Vault vault{keys};
  store::Connection connection;
  std::vector<std::unique_ptr<asio::ip::tcp::socket>> peers;

  Fixture() {
    auto d = store::SqliteStore::open(":memory:");
    REQUIRE(d.ok());
    db = std::move(d).value();
    connection.name = "acme";
    connection.org_id = "00D000000000001";
    connection.login_url = "https://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
    connection.client_id = "cid";
    const crypto::Vault* v = &vault;
    auto id = db->add_connection(connection, [v](store::Connection c) -> Result<store::Connection> {
      const std::string token = "5Aep861test-refresh-token";
      c.sealed_refresh_token =
          v->seal(std::span(reinterpret_cast<const std::uint8_t*>(token.data()), token.size()),
                  crypto::Binding{c.id, c.org_id});
      c.key_id = v->keys().primary().id;
      return c;
    });
    REQUIRE_MESSAGE(id.ok(), id.status().message());
    connection.id = *id;
    thread = std::make_unique<store::StoreThread>(*db);
  }

  jobs::OrgClientOptions options() const {
    jobs::OrgClientOptions o;
    o.request_timeout = std::chrono::seconds(60);  // the test ends each call itself
    return o;
  }

  // Runs the loop until the next token request has connected.
  void await_connection() {
    auto peer = std::make_unique<asio::ip::tcp::socket>(io);
    bool accepted = false;
    acceptor.async_accept(*peer, [&accepted](boost::system::error_code ec) {
      REQUIRE(!ec);
      accepted = true;
    });
    run_until([&] { return accepted; });
    peers.push_back(std::move(peer));
  }

  template <class Done>
  void run_until(Done done) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    io.restart();
    while (!done()) {
      REQUIRE(std::chrono::steady_clock::now() < until);
      io.run_one_for(std::chrono::milliseconds(100));
    }
  }

  void close_peers() {
    for (auto& p : peers) p->close();
    peers.clear();
  }
};

void rethrow(std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
}

}  // namespace

TEST_CASE("org clients: a forgotten client no lease holds is destroyed at once") {
  Fixture fx;
  jobs::OrgClients clients(fx.io.get_executor(), *fx.thread, fx.vault, fx.options());
  for (int i = 0; i < 50; ++i) {  // many reauths: nothing piles up
    auto api = clients.lease(fx.connection);
    REQUIRE(api.ok());
    CHECK(clients.stats().size() == 1);
    api = Status::error(ErrorKind::kNotFound, "dropped");  // the caller is done with it
    clients.forget(fx.connection.id);
    CHECK(clients.stats().empty());
    CHECK(clients.retired() == 0);
  }
}

TEST_CASE("org clients: a run's lease keeps its client across forget() and frees it after") {
  Fixture fx;
  jobs::OrgClients clients(fx.io.get_executor(), *fx.thread, fx.vault, fx.options());
  auto lease = clients.lease(fx.connection);
  REQUIRE(lease.ok());
  std::shared_ptr<salesforce::Api> held = std::move(lease).value();
  auto again = clients.lease(fx.connection);
  REQUIRE(again.ok());
  CHECK(again->get() == held.get());  // one client per org while it is current
  again = Status::error(ErrorKind::kNotFound, "dropped");

  clients.forget(fx.connection.id);
  CHECK(clients.retired() == 1);
  auto fresh = clients.lease(fx.connection);
  REQUIRE(fresh.ok());
  CHECK(fresh->get() != held.get());

  // The run goes on using its own client, between calls and during one.
  std::optional<Status> done;
  asio::co_spawn(fx.io, query_shared(held, &done), rethrow);
  std::weak_ptr<salesforce::Api> watch = held;
  held.reset();  // the run's frame holds the only reference now
  fx.await_connection();
  CHECK(!watch.expired());
  CHECK(clients.retired() == 1);
  fx.close_peers();
  fx.run_until([&] { return done.has_value(); });
  CHECK(!done->ok());
  CHECK(watch.expired());
  CHECK(clients.retired() == 0);
}

TEST_CASE("org clients: a re-authorized row (a newer generation) drops the client of the old one") {
  Fixture fx;
  jobs::OrgClients clients(fx.io.get_executor(), *fx.thread, fx.vault, fx.options());
  auto old_lease = clients.lease(fx.connection);
  REQUIRE(old_lease.ok());
  std::shared_ptr<salesforce::Api> held = std::move(old_lease).value();

  jobs::NewCredential fresh;
  fresh.refresh_token = "5Aep861another-refresh-token";
  auto renewed = jobs::reauthorize(*fx.db, fx.vault, fx.connection.name, fresh);
  REQUIRE_MESSAGE(renewed.ok(), renewed.status().message());
  CHECK(renewed->generation == fx.connection.generation + 1);

  auto next = clients.lease(*renewed);
  REQUIRE(next.ok());
  CHECK(next->get() != held.get());
  CHECK(clients.retired() == 1);  // the old one lives on only in its lease
  // A caller with an older copy of the row gets the current client, not the old one.
  auto stale = clients.lease(fx.connection);
  REQUIRE(stale.ok());
  CHECK(stale->get() == next->get());
  held.reset();
  CHECK(clients.retired() == 0);
}

TEST_CASE("org clients: reconcile drops the clients of removed, re-authorized and refused rows") {
  Fixture fx;
  jobs::OrgClients clients(fx.io.get_executor(), *fx.thread, fx.vault, fx.options());
  REQUIRE(clients.lease(fx.connection).ok());

  CHECK(clients.reconcile({fx.connection}) == 0);  // unchanged: kept
  CHECK(clients.stats().size() == 1);
  store::Connection refused = fx.connection;
  refused.status = store::ConnectionStatus::kOrgMismatch;
  CHECK(clients.reconcile({refused}) == 1);
  CHECK(clients.stats().empty());

  REQUIRE(clients.lease(fx.connection).ok());
  store::Connection renewed = fx.connection;
  renewed.generation += 1;
  CHECK(clients.reconcile({renewed}) == 1);

  // Removed: a sync still holding its lease finishes with it; then it is freed.
  auto held = clients.lease(renewed);
  REQUIRE(held.ok());
  CHECK(clients.reconcile({}) == 1);
  CHECK(clients.stats().empty());
  CHECK(clients.retired() == 1);
  held = Status::error(ErrorKind::kNotFound, "dropped");
  CHECK(clients.retired() == 0);
}

TEST_CASE("org clients: a connection that is not active gets no client at all") {
  Fixture fx;
  jobs::OrgClients clients(fx.io.get_executor(), *fx.thread, fx.vault, fx.options());
  store::Connection c = fx.connection;
  c.status = store::ConnectionStatus::kOrgMismatch;
  c.status_reason = "a token of org 00D000000000002 was refused";
  auto api = clients.lease(c);
  REQUIRE(!api.ok());
  CHECK(api.status().code() == "org-mismatch");
  c.status = store::ConnectionStatus::kNeedsReauth;
  auto lease = clients.lease(c);
  REQUIRE(!lease.ok());
  CHECK(lease.status().code() == "needs-reauth");
  CHECK(clients.stats().empty());
}

TEST_CASE("org clients: the org's usage other nodes saw counts, the higher of theirs and ours") {
  Fixture fx;
  jobs::OrgClients clients(fx.io.get_executor(), *fx.thread, fx.vault, fx.options());
  const std::int64_t id = fx.connection.id;
  CHECK(!clients.org_usage(id));
  // This node never called the org; another node saw 95 of 100.
  clients.set_shared_usage({{id, salesforce::ApiUsage{95, 100}}});
  REQUIRE(clients.org_usage(id));
  CHECK(clients.org_usage(id)->used == 95);
  CHECK(!clients.local_usage(id));
  CHECK(!clients.org_usage(id + 1));
  clients.set_shared_usage({});
  CHECK(!clients.org_usage(id));
}
