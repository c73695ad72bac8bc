// The client against reportd-sfsim on the happy paths: REST query paging,
// queryAll, Reports API, Bulk API 2.0, PATCH, ContentVersion upload, TLS trust.
#include <doctest/doctest.h>

#include "sim_fixture.hpp"
#include "test_sinks.hpp"

using namespace reportd;
using namespace reportd::salesforce;
using namespace reportd::salesforce::testing;
namespace asio = boost::asio;

namespace {
constexpr const char* kAccountSoql =
    "SELECT Id, Name, Owner.Name, AnnualRevenue, NumberOfEmployees, LastActivityDate, "
    "CreatedDate, IsDeleted FROM Account";
}

TEST_CASE("client: SOQL query streams 5,000 accounts page by page over one connection") {
  auto sim = SimProcess::start({"--rows-account", "5000"});
  if (!sim) return;
  asio::io_context io;
  TokenStore store;
  auto client = make_client(io, *sim, store);
  RecordingSink sink;
  Status s = run(io, client->query(kAccountSoql, false, sink));
  REQUIRE_MESSAGE(s.ok(), s.message());
  CHECK(sink.begins == 1);
  CHECK(sink.ends == 1);
  CHECK(sink.column_names() == std::vector<std::string>{"Id", "Name", "Owner.Name", "AnnualRevenue",
                                                        "NumberOfEmployees", "LastActivityDate",
                                                        "CreatedDate", "IsDeleted"});
  CHECK(sink.header.name == "Account");
  CHECK(sink.rows.size() == 5000);
  CHECK(sink.footer.rows == 5000);
  CHECK(sink.header.columns[6].type == table::CellType::kDateTime);
  CHECK(sink.header.columns[7].type == table::CellType::kBoolean);
  for (const auto& types : sink.types) CHECK(types[0] == table::CellType::kString);
  // One token request, one TLS connection reused for every page.
  CHECK(client->session().token_requests() == 1);
  CHECK(client->pool().connections_opened() == 1);
  REQUIRE(client->api_usage());
  CHECK(client->api_usage()->used >= 3);
  CHECK(client->api_usage()->limit > 0);
}

TEST_CASE("client: queryAll and SELECT COUNT()") {
  auto sim = SimProcess::start({"--rows-account", "300"});
  if (!sim) return;
  asio::io_context io;
  TokenStore store;
  auto client = make_client(io, *sim, store);
  CountingSink all;
  Status s = run(io, client->query("SELECT Id, Name FROM Account", true, all));
  REQUIRE_MESSAGE(s.ok(), s.message());
  CHECK(all.rows >= 300);
  RecordingSink count;
  s = run(io, client->query("SELECT COUNT() FROM Account", false, count));
  REQUIRE_MESSAGE(s.ok(), s.message());
  REQUIRE(count.rows.size() == 1);
  CHECK(count.rows[0][0] == "300");
}

TEST_CASE("client: a malformed query is a permanent error with the Salesforce errorCode") {
  auto sim = SimProcess::start({});
  if (!sim) return;
  asio::io_context io;
  TokenStore store;
  auto client = make_client(io, *sim, store);
  CountingSink sink;
  Status s = run(
      io, client->query("SELECT Id, NoSuchField__c FROM Account WHERE Name = 'lit'", false, sink));
  REQUIRE_FALSE(s.ok());
  CHECK(s.kind() == ErrorKind::kPermanent);
  CHECK((s.code() == "INVALID_FIELD" || s.code() == "MALFORMED_QUERY"));
  CHECK(s.message().rfind("salesforce: GET /services/data/v61.0/query: 400 ", 0) == 0);
}

TEST_CASE("client: TLS peer verification cannot be skipped: an untrusted CA fails") {
  auto sim = SimProcess::start({});
  if (!sim) return;
  asio::io_context io;
  TokenStore store;
  ClientOptions options;
  options.transport.ca_file = sim->state_dir + "/jwt_cert.pem";  // a valid cert, not the sim's CA
  auto client = make_client(io, *sim, store, options);
  CountingSink sink;
  Status s = run(io, client->query("SELECT Id FROM Account", false, sink));
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == "tls-verify");
  CHECK(s.kind() == ErrorKind::kPermanent);
}

TEST_CASE("client: a bad CA file is a configuration error") {
  asio::io_context io;
  ClientOptions options;
  options.transport.ca_file = "/nonexistent/ca.pem";
  auto c = Client::create(io.get_executor(), options, RefreshTokenCredential{});
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().kind() == ErrorKind::kInvalidArgument);
}

TEST_CASE("client: Bulk API 2.0 query streams CSV chunks by locator") {
  auto sim = SimProcess::start({"--rows-contact", "2500"});
  if (!sim) return;
  asio::io_context io;
  TokenStore store;
  ClientOptions options;
  options.bulk_poll_initial = std::chrono::milliseconds(50);
  options.bulk_max_records = 1000;
  auto client = make_client(io, *sim, store, options);
  RecordingSink sink;
  Status s =
      run(io, client->bulk_query(
                  "SELECT Id, Name, Account.Name, Description, Birthdate FROM Contact", sink));
  REQUIRE_MESSAGE(s.ok(), s.message());
  CHECK(sink.column_names() ==
        std::vector<std::string>{"Id", "Name", "Account.Name", "Description", "Birthdate"});
  CHECK(sink.rows.size() == 2500);
  CHECK(sink.footer.rows == 2500);
  // The same rows as the REST query, quotes and newlines included.
  RecordingSink rest;
  s = run(io, client->query("SELECT Id, Name, Account.Name, Description, Birthdate FROM Contact",
                            false, rest));
  REQUIRE_MESSAGE(s.ok(), s.message());
  REQUIRE(rest.rows.size() == sink.rows.size());
  std::size_t same = 0;
  for (std::size_t i = 0; i < rest.rows.size(); ++i) same += rest.rows[i] == sink.rows[i];
  CHECK(same == rest.rows.size());
}

TEST_CASE("client: PATCH a record and upload a ContentVersion linked to it") {
  auto sim = SimProcess::start({"--rows-account", "10"});
  if (!sim) return;
  asio::io_context io;
  TokenStore store;
  auto client = make_client(io, *sim, store);
  RecordingSink accounts;
  Status s = run(io, client->query("SELECT Id FROM Account LIMIT 1", false, accounts));
  REQUIRE_MESSAGE(s.ok(), s.message());
  REQUIRE(accounts.rows.size() == 1);
  const std::string account_id = accounts.rows[0][0];

  s = run(io, client->patch_record("Account", account_id, R"({"Description":"patched"})"));
  CHECK_MESSAGE(s.ok(), s.message());
  s = run(io, client->patch_record("Account", account_id, R"({"NoSuchField__c":1})"));
  CHECK(s.kind() == ErrorKind::kPermanent);
  CHECK(s.message().find("PATCH /services/data/v61.0/sobjects/Account/") != std::string::npos);

  const std::string bytes = "a,b\n1,\"x\ny\"\n";
  FileUpload file{"Report", "report.csv", "text/csv", bytes, account_id};
  Result<UploadResult> up = run(io, client->upload_file(file));
  REQUIRE_MESSAGE(up.ok(), (up.ok() ? "" : up.status().message()));
  CHECK(up.value().content_version_id.rfind("068", 0) == 0);
  CHECK(up.value().content_document_id.rfind("069", 0) == 0);
  RecordingSink links;
  s = run(io, client->query("SELECT ContentDocumentId, LinkedEntityId FROM ContentDocumentLink "
                            "WHERE LinkedEntityId = '" +
                                account_id + "'",
                            false, links));
  if (s.ok()) {
    bool linked = false;
    for (const auto& r : links.rows) linked = linked || r[0] == up.value().content_document_id;
    CHECK(linked);
  } else {
    MESSAGE("ContentDocumentLink query not supported by the simulator: " << s.message());
  }
}

TEST_CASE("client: responses are gzip-compressed on the wire and inflated") {
  auto sim = SimProcess::start({"--rows-account", "50"});
  if (!sim) return;
  asio::io_context io;
  TokenStore store;
  auto client = make_client(io, *sim, store);
  Result<HttpResponse> r =
      run(io, client->call("GET", client->data_path() + "/query?q=SELECT+Id+FROM+Account"));
  REQUIRE(r.ok());
  CHECK(r.value().header("Content-Encoding") == "gzip");
  CHECK(r.value().body.rfind("{", 0) == 0);
}

TEST_CASE("client: a response larger than the bound fails with a limit error") {
  auto sim = SimProcess::start({"--rows-account", "5000"});
  if (!sim) return;
  asio::io_context io;
  TokenStore store;
  ClientOptions options;
  options.transport.max_response_bytes = 100'000;
  auto client = make_client(io, *sim, store, options);
  CountingSink sink;
  Status s = run(io, client->query("SELECT Id, Name, Description FROM Account", false, sink));
  REQUIRE_FALSE(s.ok());
  CHECK(s.kind() == ErrorKind::kLimit);
  CHECK(s.code() == "too-large");
}
