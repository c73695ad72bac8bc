// Connecting an org (web-server flow with PKCE), the JWT bearer credential
// and the Reports API, against reportd-sfsim.
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "salesforce_client/token_endpoint.hpp"
#include "sim_fixture.hpp"
#include "test_sinks.hpp"

using namespace reportd;
using namespace reportd::salesforce;
using namespace reportd::salesforce::testing;
namespace asio = boost::asio;

namespace {
// Follows the authorize URL like a browser that approves; returns the code.
std::string authorize(asio::io_context& io, HttpsPool& pool, const std::string& url,
                      const std::string& state) {
  auto parsed = parse_https_url(url);
  REQUIRE(parsed.ok());
  HttpRequest req;
  req.origin = parsed.value().origin;
  req.target = parsed.value().target;
  req.accept = "text/html";
  Result<HttpResponse> res = run(io, pool.request(req));
  REQUIRE(res.ok());
  REQUIRE(res.value().status == 302);
  std::string location(res.value().header("Location"));
  CHECK(location.find("state=" + state) != std::string::npos);
  auto at = location.find("code=");
  REQUIRE(at != std::string::npos);
  std::string code = location.substr(at + 5, location.find('&', at) - at - 5);
  return code;
}
}  // namespace

TEST_CASE("flows: web-server flow with PKCE yields a refresh token that works") {
  auto sim = SimProcess::start({"--rows-account", "10"});
  if (!sim) return;
  asio::io_context io;
  TransportOptions t;
  t.ca_file = sim->ca_file;
  auto pool = HttpsPool::create(io.get_executor(), t);
  REQUIRE(pool.ok());
  const Origin login = parse_https_url(sim->login_url).value().origin;
  const std::string redirect = "https://127.0.0.1:9/oauth/callback";

  Pkce pkce = make_pkce();
  const std::string state = make_state();
  std::string code = authorize(io, *pool.value(),
                               authorize_url(sim->login_url, sim->client_id, redirect,
                                             "api refresh_token", state, pkce.challenge),
                               state);
  // A wrong verifier is refused.
  Result<TokenResponse> bad =
      run(io, exchange_code(*pool.value(), login, code, sim->client_id, sim->client_secret,
                            redirect, "wrong-verifier"));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == "invalid_request");

  code = authorize(io, *pool.value(),
                   authorize_url(sim->login_url, sim->client_id, redirect, "api refresh_token",
                                 state, pkce.challenge),
                   state);
  Result<TokenResponse> tokens =
      run(io, exchange_code(*pool.value(), login, code, sim->client_id, sim->client_secret,
                            redirect, pkce.verifier));
  REQUIRE_MESSAGE(tokens.ok(), (tokens.ok() ? "" : tokens.status().message()));
  REQUIRE_FALSE(tokens.value().refresh_token.empty());

  TokenStore store;
  store.token = tokens.value().refresh_token;
  tokens.value().wipe();
  auto client = make_client(io, *sim, store);
  CountingSink sink;
  Status s = run(io, client->query("SELECT Id FROM Account", false, sink));
  CHECK_MESSAGE(s.ok(), s.message());
  CHECK(sink.rows == 10);
}

TEST_CASE("flows: the JWT bearer credential (RS256) gets an access token") {
  auto sim = SimProcess::start({"--rows-account", "10"});
  if (!sim) return;
  std::ifstream f(sim->state_dir + "/jwt_key.pem");
  std::stringstream pem;
  pem << f.rdbuf();
  REQUIRE_FALSE(pem.str().empty());
  struct KeyStore {
    std::string pem;
    asio::awaitable<Result<std::string>> load() { co_return pem; }
  } keys{pem.str()};
  asio::io_context io;
  ClientOptions options;
  options.login_url = sim->login_url;
  options.transport.ca_file = sim->ca_file;
  JwtCredential jwt{sim->client_id, sim->username, "https://login.salesforce.com",
                    [&keys] { return keys.load(); }};
  auto client = Client::create(io.get_executor(), options, jwt);
  REQUIRE(client.ok());
  CountingSink sink;
  Status s = run(io, client.value()->query("SELECT Id FROM Account", false, sink));
  CHECK_MESSAGE(s.ok(), s.message());
  CHECK(sink.rows == 10);

  // A user the app does not know is an auth error, not retried.
  JwtCredential other{sim->client_id, "nobody@example.com", "https://login.salesforce.com",
                      [&keys] { return keys.load(); }};
  auto client2 = Client::create(io.get_executor(), options, other);
  REQUIRE(client2.ok());
  s = run(io, client2.value()->query("SELECT Id FROM Account", false, sink));
  CHECK(s.kind() == ErrorKind::kAuth);
  CHECK(s.code() == "invalid_grant");
}

TEST_CASE("flows: every report the org lists runs into a table with labelled columns") {
  auto sim = SimProcess::start({"--rows-opportunity", "3000"});
  if (!sim) return;
  asio::io_context io;
  TokenStore store;
  auto client = make_client(io, *sim, store);
  Result<HttpResponse> list =
      run(io, client->call("GET", client->data_path() + "/analytics/reports"));
  REQUIRE_MESSAGE(list.ok(), (list.ok() ? "" : list.status().message()));
  auto reports = boost::json::parse(list.value().body).as_array();
  REQUIRE_FALSE(reports.empty());
  int formats_seen = 0;
  for (const auto& r : reports) {
    const std::string id(r.at("id").as_string());
    CAPTURE(id);
    RecordingSink sink;
    Status s = run(io, client->run_report(id, sink));
    if (s.code() == "UNSUPPORTED_REPORT_FORMAT") continue;
    REQUIRE_MESSAGE(s.ok(), s.message());
    ++formats_seen;
    CHECK(sink.begins == 1);
    CHECK(sink.ends == 1);
    REQUIRE_FALSE(sink.header.columns.empty());
    for (const auto& c : sink.header.columns) CHECK_FALSE(c.label.empty());
    CHECK(sink.footer.rows == sink.rows.size());
    // The simulator's org has more than 2,000 opportunities: the Reports API
    // cap must show as truncation, never silently.
    if (sink.rows.size() >= 2000) CHECK(sink.footer.truncated);
    MESSAGE(id << ": " << sink.header.name << ", " << sink.header.columns.size() << " columns, "
               << sink.rows.size() << " rows, truncated=" << sink.footer.truncated
               << "; first columns: " << sink.header.columns[0].label << " | "
               << sink.header.columns[1].label << "; first row: "
               << (sink.rows.empty() ? std::string() : sink.rows[0][0] + " | " + sink.rows[0][1]));
  }
  CHECK(formats_seen >= 3);
}
