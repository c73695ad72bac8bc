// Org pinning through real token responses: OrgClients with real
// salesforce::Clients against reportd-sfsim (one simulator per case, each
// its own org), a real SQLite store and a real vault. The first token pins
// the org; a token of another org (here a simulator told to hand one out,
// with a rotated refresh token and a dead instance) is refused before it is
// stored or used, the connection marked org-mismatch and the operator told
// once.
#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "../salesforce_client/sim_fixture.hpp"
#include "../salesforce_client/test_sinks.hpp"
#include "jobs/connections.hpp"
#include "jobs/org_clients.hpp"
#include "salesforce_client/oauth.hpp"
#include "store/sqlite_store.hpp"
#include "test_keys.hpp"

namespace asio = boost::asio;
using namespace reportd;  // NOLINT: test file
using salesforce::testing::SimProcess;

namespace {

asio::awaitable<void> count_accounts(std::shared_ptr<salesforce::Api> api,
                                     std::optional<Status>* out, std::uint64_t* rows) {
  salesforce::testing::CountingSink sink;
  Status st = co_await api->query("SELECT Id FROM Account", false, sink);
  *rows = sink.rows;
  out->emplace(std::move(st));
}

using reportd::testing::one_key;

std::vector<std::string>* g_told = nullptr;

asio::awaitable<void> record_told(store::Connection c) {
  g_told->push_back(c.name + ": " + c.status_reason);
  co_return;
}

struct Fixture {
  asio::io_context io;
  std::unique_ptr<store::SqliteStore> db;
  std::unique_ptr<store::StoreThread> thread;
  crypto::KeyRing keys = one_key();
  crypto::Vault vault{keys};
  std::unique_ptr<jobs::OrgClients> clients;
  std::vector<std::string> told;
  std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now();
  std::uint64_t rows = 0;  // of the last query

  // Trusts the CA of each simulator in `sims`.
  explicit Fixture(std::vector<const SimProcess*> sims) {
    auto d = store::SqliteStore::open(":memory:");
    REQUIRE(d.ok());
    db = std::move(d).value();
    thread = std::make_unique<store::StoreThread>(*db);
    jobs::OrgClientOptions o;
    o.ca_file = sims.front()->state_dir + "/trusted.pem";
    std::ofstream out(o.ca_file);
    for (const SimProcess* sim : sims) {
      std::ifstream in(sim->ca_file);
      out << in.rdbuf();
    }
    out.close();
    o.now = [this] { return now; };
    clients = std::make_unique<jobs::OrgClients>(io.get_executor(), *thread, vault, o);
    g_told = &told;
    clients->set_on_org_mismatch([](store::Connection c) { return record_told(std::move(c)); });
  }
  ~Fixture() { g_told = nullptr; }

  // A connection to `sim` with its refresh token; `org` pins it (or "").
  store::Connection add(const SimProcess& sim, const std::string& name, const std::string& org) {
    store::Connection c;
    c.name = name;
    c.login_url = sim.login_url;
    c.client_id = sim.client_id;
    c.org_id = org;
    auto id = jobs::add_connection(*db, vault, c, sim.refresh_token, "");
    REQUIRE_MESSAGE(id.ok(), id.status().message());
    return *db->get_connection(*id);
  }

  // Runs one query to its end. The loop is run step by step: the client's
  // idle HTTPS connections would keep io.run() from returning.
  // `as`: a username to run as (lease_as), or "" for the connection's own user.
  Status query(const store::Connection& c, const std::string& as = "") {
    auto lease = as.empty() ? clients->lease(c) : clients->lease_as(c, as);
    if (!lease.ok()) return lease.status();
    std::optional<Status> out;
    asio::co_spawn(io, count_accounts(std::move(lease).value(), &out, &rows),
                   [](std::exception_ptr e) {
                     if (e) std::rethrow_exception(e);
                   });
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    io.restart();
    while (!out) {
      REQUIRE(std::chrono::steady_clock::now() < until);
      io.run_one_for(std::chrono::milliseconds(100));
    }
    return *out;
  }
};

std::unique_ptr<SimProcess> start(std::vector<std::string> flags) {
  return SimProcess::start(std::move(flags));
}

}  // namespace

TEST_CASE("org pinning: the first token response pins the org, and the client keeps working") {
  auto sim = start({"--org-number", "1", "--rows-account", "20"});
  if (!sim) return;
  Fixture f({sim.get()});
  store::Connection c = f.add(*sim, "acme", "");
  Status st = f.query(c);
  REQUIRE_MESSAGE(st.ok(), st.message());
  auto pinned = f.db->get_connection(c.id);
  CHECK(salesforce::same_org(pinned->org_id, sim->org_id));
  CHECK(pinned->instance_url == sim->instance_url);
  // The secrets were re-bound to the pinned org: a new client still opens them.
  f.clients->forget(c.id);
  st = f.query(*pinned);
  CHECK_MESSAGE(st.ok(), st.message());
  CHECK(f.told.empty());
}

TEST_CASE("org pinning: a token of another org is refused before it is stored or used") {
  // This login host hands out a token of org 00D...2 (rotating the refresh
  // token) that points at a dead instance: using it would fail otherwise.
  auto sim = start({"--org-number", "1", "--rows-account", "20", "--rotate-refresh-token",
                    "--token-org-id", "00D5g0000000002AAA", "--token-instance-url",
                    "https://127.0.0.1:9"});
  if (!sim) return;
  Fixture f({sim.get()});
  store::Connection c = f.add(*sim, "acme", sim->org_id);  // pinned, as by --org-id
  Status st = f.query(c);
  REQUIRE(!st.ok());
  CHECK(st.kind() == ErrorKind::kAuth);
  CHECK(st.code() == "org-mismatch");
  CHECK(st.message().find("00D5g0000000002AAA") != std::string::npos);
  CHECK(st.message().find("reportd connections reauth acme") != std::string::npos);

  auto now = f.db->get_connection(c.id);
  CHECK(now->status == store::ConnectionStatus::kOrgMismatch);
  CHECK(now->instance_url.empty());
  // The rotated refresh token was not stored: the sealed one is the original.
  auto token = jobs::open_secret(f.vault, *now, jobs::Secret::kRefreshToken);
  REQUIRE(token.ok());
  CHECK(token->view() == sim->refresh_token);
  REQUIRE(f.told.size() == 1);
  CHECK(f.told[0].find("acme: connection acme is pinned to org") == 0);

  // Nothing asks again: the marked connection gets no client.
  f.clients->forget(c.id);
  st = f.query(*now);
  CHECK(st.code() == "org-mismatch");
  CHECK(f.told.size() == 1);
}

TEST_CASE("org pinning: two orgs, each connection pinned to its own, never cross") {
  auto a = start({"--org-number", "1", "--rows-account", "20"});
  auto b = start({"--org-number", "2", "--rows-account", "30"});
  if (!a || !b) return;
  CHECK(!salesforce::same_org(a->org_id, b->org_id));
  Fixture f({a.get(), b.get()});
  // "alpha" is pinned to org A but holds org B's login host and token.
  store::Connection alpha = f.add(*b, "alpha", a->org_id);
  store::Connection beta = f.add(*b, "beta", "");
  CHECK(f.query(alpha).code() == "org-mismatch");
  Status st = f.query(beta);
  CHECK_MESSAGE(st.ok(), st.message());
  CHECK(salesforce::same_org(f.db->get_connection(beta.id)->org_id, b->org_id));
  CHECK(f.db->get_connection(alpha.id)->status == store::ConnectionStatus::kOrgMismatch);
  CHECK(f.told.size() == 1);
}

TEST_CASE("run as: user tokens are minted with the JWT key, cached per user within their time, counted") {
  auto sim = start({"--rows-account", "200"});
  if (!sim) return;
  Fixture f({sim.get()});
  store::Connection c = f.add(*sim, "acme", "");
  const std::string ann = "user1@org0.reportd-sim.example";
  const std::string bob = "user2@org0.reportd-sim.example";
  Status st = f.query(c, ann);
  CHECK(st.code() == "run-as-no-jwt");  // no JWT configuration yet
  std::ifstream key(sim->state_dir + "/jwt_key.pem");
  std::string pem((std::istreambuf_iterator<char>(key)), std::istreambuf_iterator<char>());
  auto secure = crypto::SecureBuffer::copy_of(std::string_view(pem));
  auto set = jobs::set_jwt(*f.db, f.vault, "acme", {sim->client_id, secure, "k", ""});
  REQUIRE(set.ok());
  c = *set;

  REQUIRE_MESSAGE(f.query(c).ok(), "integration");
  const std::uint64_t all = f.rows;
  st = f.query(c, ann);
  REQUIRE_MESSAGE(st.ok(), st.message());
  const std::uint64_t anns = f.rows;
  REQUIRE(f.query(c, bob).ok());
  const std::uint64_t bobs = f.rows;
  CHECK(anns > 0);
  CHECK(bobs > 0);
  CHECK(anns + bobs < all);  // the sharing model: each sees their own accounts
  REQUIRE(f.query(c, ann).ok());  // the cached token: no new grant
  auto stats = f.clients->stats();
  REQUIRE(stats.size() == 1);
  CHECK(stats[0].user_token_requests == 2);
  CHECK(stats[0].user_tokens_cached == 2);

  // Past its time the token is dropped and minted again; the count goes on.
  f.now += std::chrono::minutes(16);
  REQUIRE(f.query(c, ann).ok());
  stats = f.clients->stats();
  CHECK(stats[0].user_token_requests == 3);
  CHECK(stats[0].user_tokens_cached == 1);

  // Salesforce's refusal of a user is the user's: the connection stays ok.
  st = f.query(c, "user6@org0.reportd-sim.example");
  CHECK(st.kind() == ErrorKind::kAuth);
  CHECK(st.message().find("inactive user") != std::string::npos);
  CHECK(f.db->get_connection(c.id)->status == store::ConnectionStatus::kActive);
  CHECK(f.clients->stats()[0].user_token_failures == 1);
  // Nothing of a user token reaches the store.
  auto row = f.db->get_connection(c.id);
  CHECK(row->sealed_refresh_token.size() > 0);
  CHECK(f.told.empty());
}
