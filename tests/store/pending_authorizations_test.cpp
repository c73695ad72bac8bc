// Pending OAuth authorizations: claimed once, never after expiry, and their
// sealed secrets wiped when finished.
#include <doctest/doctest.h>

#include "engines.hpp"

namespace reportd::store {
namespace {

PendingAuthorization pending(const std::string& state, std::int64_t expires_at_ms) {
  PendingAuthorization p;
  p.state = state;
  p.name = "acme";
  p.login_url = "https://login.example.com";
  p.client_id = "cid";
  p.redirect_uri = "http://127.0.0.1:8400/oauth/callback";
  p.sealed_secrets = {9, 8, 7};
  p.key_id = "0000aaaa";
  p.created_at_ms = 1000;
  p.expires_at_ms = expires_at_ms;
  return p;
}

TEST_CASE_TEMPLATE("store: a pending authorization is claimed once, then finished and wiped", E, Sqlite, Postgres) {
  auto s = fresh_store<E>();
  if (!s) return;
  Store& db = *s;
  REQUIRE(db.add_pending_authorization(pending("st1", 10'000)).ok());
  CHECK_FALSE(db.add_pending_authorization(pending("st1", 10'000)).ok());  // state is unique

  auto got = db.get_pending_authorization("st1");
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  CHECK((*got)->outcome.empty());
  CHECK((*got)->sealed_secrets == Bytes{9, 8, 7});

  auto first = db.claim_pending_authorization("st1", 5000);
  REQUIRE(first.ok());
  REQUIRE(first->has_value());
  CHECK((*first)->outcome == "exchanging");
  CHECK((*first)->sealed_secrets == Bytes{9, 8, 7});
  auto second = db.claim_pending_authorization("st1", 5001);
  REQUIRE(second.ok());
  CHECK_FALSE(second->has_value());

  REQUIRE(db.finish_pending_authorization("st1", "ok").ok());
  got = db.get_pending_authorization("st1");
  REQUIRE(got.ok());
  CHECK((*got)->outcome == "ok");
  CHECK((*got)->sealed_secrets.empty());
}

TEST_CASE_TEMPLATE("store: an unknown or expired state cannot be claimed; expired rows are purged", E, Sqlite, Postgres) {
  auto s = fresh_store<E>();
  if (!s) return;
  Store& db = *s;
  auto none = db.claim_pending_authorization("nope", 0);
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  REQUIRE(db.add_pending_authorization(pending("old", 2000)).ok());
  REQUIRE(db.add_pending_authorization(pending("new", 90'000)).ok());
  auto late = db.claim_pending_authorization("old", 2000);
  REQUIRE(late.ok());
  CHECK_FALSE(late->has_value());
  auto purged = db.purge_pending_authorizations(3000);
  REQUIRE(purged.ok());
  CHECK(*purged == 1);
  CHECK_FALSE(db.get_pending_authorization("old")->has_value());
  CHECK(db.get_pending_authorization("new")->has_value());
}

}  // namespace
}  // namespace reportd::store
