// jobs/connections.hpp on a real SQLite store (":memory:") and a real vault:
// sealing in one place, org pinning (the first token pins, another org is
// refused and marked), re-authorization bumping the generation, rotation
// keeping it.
#include "jobs/connections.hpp"

#include <doctest/doctest.h>

#include <string>

#include "store/sqlite_store.hpp"
#include "test_keys.hpp"

using namespace reportd;  // NOLINT: test file

namespace {

constexpr const char* kOrgA = "00D5g000000001AAAA";  // 18 characters
constexpr const char* kOrgB = "00D5g000000002BBBB";

using reportd::testing::one_key;

struct Fixture {
  std::unique_ptr<store::SqliteStore> db;
  crypto::KeyRing keys = one_key();
  crypto::Vault vault{keys};

  Fixture() {
    auto d = store::SqliteStore::open(":memory:");
    REQUIRE(d.ok());
    db = std::move(d).value();
  }

  store::Connection add(const std::string& name, const std::string& org = "") {
    store::Connection c;
    c.name = name;
    c.login_url = "https://login.example.com";
    c.client_id = "cid";
    c.org_id = org;
    auto id = jobs::add_connection(*db, vault, c, "refresh-1", "secret-1");
    REQUIRE_MESSAGE(id.ok(), id.status().message());
    return *db->get_connection(*id);
  }

  std::string open(std::int64_t id, jobs::Secret which) {
    auto c = db->get_connection(id);
    REQUIRE(c.ok());
    auto plain = jobs::open_secret(vault, *c, which);
    REQUIRE_MESSAGE(plain.ok(), plain.status().message());
    return std::string(plain->view());
  }
};

}  // namespace

TEST_CASE("connections: the first token pins the org, re-binding the sealed secrets to it") {
  Fixture f;
  store::Connection c = f.add("acme");
  CHECK(c.org_id.empty());
  auto v = jobs::check_token_org(*f.db, f.vault, c.id, kOrgA, "https://acme.example", "login");
  REQUIRE(v.ok());
  CHECK(v->refused.ok());
  auto now = f.db->get_connection(c.id);
  CHECK(now->org_id == kOrgA);
  CHECK(now->instance_url == "https://acme.example");
  CHECK(now->status == store::ConnectionStatus::kActive);
  // Bound to the pinned org now: both secrets still open.
  CHECK(f.open(c.id, jobs::Secret::kRefreshToken) == "refresh-1");
  CHECK(f.open(c.id, jobs::Secret::kClientSecret) == "secret-1");
  // The same org again, in its 15-character form: accepted.
  v = jobs::check_token_org(*f.db, f.vault, c.id, std::string(kOrgA).substr(0, 15), "", "login");
  REQUIRE(v.ok());
  CHECK(v->refused.ok());
}

TEST_CASE("connections: a token of another org is refused, marked once, and says what to do") {
  Fixture f;
  store::Connection c = f.add("acme", kOrgA);  // pinned by --org-id
  auto v = jobs::check_token_org(*f.db, f.vault, c.id, kOrgB, "https://globex.example",
                                 "the token request at https://login.example.com");
  REQUIRE(v.ok());
  CHECK(v->refused.kind() == ErrorKind::kAuth);
  CHECK(v->refused.code() == "org-mismatch");
  CHECK(v->marked_now);
  const std::string& why = v->refused.message();
  CHECK(why.find(kOrgA) != std::string::npos);
  CHECK(why.find(kOrgB) != std::string::npos);
  CHECK(why.find("reportd connections reauth acme") != std::string::npos);
  auto now = f.db->get_connection(c.id);
  CHECK(now->status == store::ConnectionStatus::kOrgMismatch);
  CHECK(now->org_id == kOrgA);            // the pin stays
  CHECK(now->instance_url.empty());       // nothing of the refused token is kept
  CHECK(jobs::usable(*now).code() == "org-mismatch");
  CHECK(jobs::usable(*now).message().find("reportd connections reauth acme") != std::string::npos);

  // Refused again: the connection is not marked (nor the operator told) twice.
  v = jobs::check_token_org(*f.db, f.vault, c.id, kOrgB, "", "login");
  REQUIRE(v.ok());
  CHECK(!v->refused.ok());
  CHECK(!v->marked_now);
}

TEST_CASE("connections: a token response that names no org is refused") {
  Fixture f;
  store::Connection c = f.add("acme");
  auto v = jobs::check_token_org(*f.db, f.vault, c.id, "", "https://x.example", "login");
  REQUIRE(v.ok());
  CHECK(v->refused.code() == "org-mismatch");
  CHECK(v->refused.message().find("names no org") != std::string::npos);
  CHECK(f.db->get_connection(c.id)->org_id.empty());
}

TEST_CASE("connections: re-authorizing replaces the credential and bumps the generation") {
  Fixture f;
  store::Connection c = f.add("acme", kOrgA);
  REQUIRE(f.db->set_connection_status(c.id, store::ConnectionStatus::kNeedsReauth, "revoked").ok());
  jobs::NewCredential fresh;
  fresh.refresh_token = "refresh-2";
  auto r = jobs::reauthorize(*f.db, f.vault, "acme", fresh);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  CHECK(r->generation == c.generation + 1);
  CHECK(r->status == store::ConnectionStatus::kActive);
  CHECK(r->org_id == kOrgA);
  CHECK(f.open(c.id, jobs::Secret::kRefreshToken) == "refresh-2");
  CHECK(f.open(c.id, jobs::Secret::kClientSecret) == "secret-1");  // kept

  // Rotation by Salesforce: a new token, the same generation.
  REQUIRE(jobs::rotate(*f.db, f.vault, c.id, "refresh-3").ok());
  CHECK(f.open(c.id, jobs::Secret::kRefreshToken) == "refresh-3");
  CHECK(f.db->get_connection(c.id)->generation == r->generation);
}

TEST_CASE("connections: re-authorizing with a token of another org stores nothing of it") {
  Fixture f;
  store::Connection c = f.add("acme", kOrgA);
  jobs::NewCredential foreign;
  foreign.refresh_token = "refresh-of-b";
  foreign.org_id = kOrgB;
  foreign.instance_url = "https://globex.example";
  auto r = jobs::reauthorize(*f.db, f.vault, "acme", foreign);
  REQUIRE(!r.ok());
  CHECK(r.status().code() == "org-mismatch");
  CHECK(r.status().message().find(kOrgB) != std::string::npos);
  auto now = f.db->get_connection(c.id);
  CHECK(now->status == store::ConnectionStatus::kOrgMismatch);  // the refusal is recorded
  CHECK(now->generation == c.generation);
  CHECK(now->instance_url.empty());
  CHECK(f.open(c.id, jobs::Secret::kRefreshToken) == "refresh-1");

  // A token of its own org brings it back.
  jobs::NewCredential own;
  own.refresh_token = "refresh-2";
  own.org_id = std::string(kOrgA).substr(0, 15);
  r = jobs::reauthorize(*f.db, f.vault, "acme", own);
  REQUIRE(r.ok());
  CHECK(r->status == store::ConnectionStatus::kActive);
  CHECK(r->generation == c.generation + 1);
}

TEST_CASE("connections: re-authorizing an unpinned connection with a known org pins it") {
  Fixture f;
  store::Connection c = f.add("acme");
  jobs::NewCredential cred;
  cred.refresh_token = "refresh-2";
  cred.client_secret = std::string_view("secret-2");
  cred.org_id = kOrgB;
  auto r = jobs::reauthorize(*f.db, f.vault, "acme", cred);
  REQUIRE(r.ok());
  CHECK(r->org_id == kOrgB);
  CHECK(f.open(c.id, jobs::Secret::kRefreshToken) == "refresh-2");
  CHECK(f.open(c.id, jobs::Secret::kClientSecret) == "secret-2");
}

TEST_CASE("connections: a JWT key is sealed bound to the connection, follows the pin and key rotation") {
  Fixture f;
  store::Connection c = f.add("acme");
  auto pem = crypto::SecureBuffer::copy_of(std::string_view("-----BEGIN PRIVATE KEY-----\nk\n"));
  auto set = jobs::set_jwt(*f.db, f.vault, "acme", {"3MVG9jwt", pem, "AA:BB", "CC:DD"});
  REQUIRE_MESSAGE(set.ok(), set.status().message());
  CHECK(set->jwt.client_id == "3MVG9jwt");
  CHECK(set->jwt.cert_sha256 == "CC:DD");
  CHECK(set->generation == c.generation + 1);  // cached user tokens are dropped
  const std::string sealed(set->jwt.sealed_key.begin(), set->jwt.sealed_key.end());
  CHECK(sealed.find("BEGIN PRIVATE KEY") == std::string::npos);
  CHECK(f.open(c.id, jobs::Secret::kJwtKey) == "-----BEGIN PRIVATE KEY-----\nk\n");

  // Pinning re-binds it with the tokens; another row's binding does not open it.
  REQUIRE(jobs::check_token_org(*f.db, f.vault, c.id, kOrgA, "https://acme.example", "login").ok());
  CHECK(f.open(c.id, jobs::Secret::kJwtKey) == "-----BEGIN PRIVATE KEY-----\nk\n");
  store::Connection other = f.add("globex");
  store::Connection forged = *f.db->get_connection(other.id);
  forged.jwt = f.db->get_connection(c.id)->jwt;
  CHECK_FALSE(jobs::open_secret(f.vault, forged, jobs::Secret::kJwtKey).ok());

  // keys rotate re-seals it too.
  auto n = jobs::reseal_all(*f.db, f.vault);
  REQUIRE(n.ok());
  CHECK(f.open(c.id, jobs::Secret::kJwtKey) == "-----BEGIN PRIVATE KEY-----\nk\n");

  auto removed = jobs::set_jwt(*f.db, f.vault, "acme", {"", pem, "", ""});
  REQUIRE(removed.ok());
  CHECK_FALSE(removed->jwt.configured());
  CHECK(f.db->get_connection(c.id)->jwt.sealed_key.empty());
}
