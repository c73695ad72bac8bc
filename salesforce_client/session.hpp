#pragma once
// Session: the access token of one connected org and how to get a new one
// (refresh_token grant or JWT bearer). Refresh is single-flight: concurrent
// callers that find the token stale share one token request. Owns the access
// token only; the refresh token is loaded from the caller's store for each
// refresh and zeroed right after. Lives on the client's executor.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <variant>

#include "salesforce_client/http_message.hpp"
#include "salesforce_client/https_pool.hpp"
#include "table/status.hpp"

namespace reportd::salesforce {

// The refresh_token grant (the normal credential of a connected org).
struct RefreshTokenCredential {
  std::string client_id;
  // Returns the connected app's consumer secret, e.g. unsealed from the
  // store, for one token request; zeroed right after. Empty function (or an
  // empty secret): the app does not require one.
  std::function<boost::asio::awaitable<Result<std::string>>()> load_client_secret;
  // Returns the current refresh token, e.g. unsealed from the store. Called
  // only when a token request is due; the client zeroes its copy after use.
  std::function<boost::asio::awaitable<Result<std::string>>()> load_refresh_token;
  // Seals and stores a refresh token that Salesforce rotated. Awaited before
  // the new token (or the access token that came with it) is used; a failure
  // fails the refresh. May be empty when the app never rotates.
  std::function<boost::asio::awaitable<Status>(std::string new_refresh_token)> store_refresh_token;
};

// The JWT bearer flow (RS256), an alternative credential without a refresh token.
struct JwtCredential {
  std::string client_id;  // iss
  std::string username;   // sub
  std::string audience;   // aud: https://login.salesforce.com or https://test.salesforce.com
  // Returns the RSA private key in PEM; zeroed after use.
  std::function<boost::asio::awaitable<Result<std::string>>()> load_private_key_pem;
};

using Credential = std::variant<RefreshTokenCredential, JwtCredential>;

// Whose token a token response is: the org of its identity URL ("" when it
// names none) and its instance.
struct TokenIdentity {
  std::string org_id;
  std::string instance_url;
};
// Accepts or refuses every token response before anything stores or uses
// what came with it (a rotated refresh token, the access token): org pinning.
// A refusal should be kAuth, so that no later call asks again.
using AcceptToken = std::function<boost::asio::awaitable<Status>(TokenIdentity identity)>;

// Every copy zeroes its bearer token when destroyed.
struct AccessToken {
  AccessToken() = default;
  AccessToken(const AccessToken&) = default;
  AccessToken(AccessToken&&) = default;
  AccessToken& operator=(const AccessToken&) = default;
  AccessToken& operator=(AccessToken&&) = default;
  ~AccessToken() { wipe(bearer); }

  std::string bearer;            // "Bearer <token>"
  Origin instance;               // from instance_url
  std::uint64_t generation = 0;  // increases with every successful token request
};

class Session {
 public:
  // `accept` may be empty: every token response is accepted.
  Session(boost::asio::any_io_executor executor, HttpsPool& pool, Origin login,
          Credential credential, AcceptToken accept = {});

  // The current token; requests one first when there is none.
  boost::asio::awaitable<Result<AccessToken>> token();
  // Called after a 401 INVALID_SESSION_ID with the token that was rejected:
  // returns a newer token, requesting one unless another caller already did.
  boost::asio::awaitable<Result<AccessToken>> refresh_after(std::uint64_t stale_generation);

  std::uint64_t token_requests() const { return requests_; }
  // Token requests that failed: those finished without a new token.
  std::uint64_t token_failures() const {
    std::uint64_t done = requests_ - (refreshing_ ? 1 : 0);
    return done > current_.generation ? done - current_.generation : 0;
  }

 private:
  boost::asio::awaitable<Status> request_token();

  HttpsPool& pool_;
  Origin login_;
  Credential credential_;
  AcceptToken accept_;
  AccessToken current_;
  bool refreshing_ = false;
  std::uint64_t finished_ = 0;  // token requests finished (ok or not)
  std::uint64_t requests_ = 0;
  Status last_failure_;
  boost::asio::steady_timer wake_;  // cancelled when a token request finishes
};

}  // namespace reportd::salesforce
