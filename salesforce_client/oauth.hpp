#pragma once
// OAuth 2.0 helpers for Salesforce: token-response parsing, request bodies
// for the refresh_token, authorization_code (PKCE) and JWT bearer grants,
// the authorize URL, and RS256 JWT signing with OpenSSL EVP.
// Pure functions (randomness from OpenSSL); no executor.

#include <chrono>
#include <string>
#include <string_view>

#include "table/status.hpp"
#include "table/wipe.hpp"

namespace reportd::salesforce {

struct TokenResponse {
  std::string access_token;
  std::string instance_url;
  std::string id;             // identity URL
  std::string issued_at;      // epoch milliseconds, as a string
  std::string refresh_token;  // only when issued or rotated
  std::string scope;
  void wipe();  // zeroes the secrets
};

// The org id in a token response's identity URL ("https://login.salesforce.com
// /id/<orgId>/<userId>"), or "" when it has none that looks like an org id.
std::string org_id_from_identity(std::string_view id_url);
// True when `a` and `b` name the same org: an org id is 15 characters, or
// 18 with a checksum suffix, so the first 15 decide. Empty names no org.
bool same_org(std::string_view a, std::string_view b);

// Parses a 200 token response. Fails (kTransient) when access_token or
// instance_url is missing; the message never quotes the body.
Result<TokenResponse> parse_token_response(std::string_view body);

using reportd::wipe;  // table/wipe.hpp

std::string base64url(std::string_view bytes);

// --- refresh_token grant -----------------------------------------------------
std::string refresh_grant_body(std::string_view client_id, std::string_view client_secret,
                               std::string_view refresh_token);

// --- web-server flow with PKCE -----------------------------------------------
struct Pkce {
  std::string verifier;   // base64url of 96 random bytes (128 characters)
  std::string challenge;  // base64url(SHA-256(verifier)), no padding
};
Pkce make_pkce();
// A random opaque value for the `state` parameter (base64url of 24 bytes).
std::string make_state();
// https://<login>/services/oauth2/authorize?response_type=code&client_id=...
// &redirect_uri=...&scope=...&state=...&code_challenge=...&code_challenge_method=S256
std::string authorize_url(std::string_view login_url, std::string_view client_id,
                          std::string_view redirect_uri, std::string_view scope,
                          std::string_view state, std::string_view code_challenge);
std::string code_exchange_body(std::string_view code, std::string_view client_id,
                               std::string_view client_secret, std::string_view redirect_uri,
                               std::string_view code_verifier);

// --- JWT bearer flow -----------------------------------------------------------
// A signed RS256 assertion: iss=client_id, sub=username, aud=audience,
// exp=now+3 min (seconds). Fails (kInvalidArgument) for a key that is not an
// RSA private key in PEM.
Result<std::string> make_jwt_assertion(std::string_view private_key_pem, std::string_view client_id,
                                       std::string_view username, std::string_view audience,
                                       std::chrono::system_clock::time_point now);
std::string jwt_bearer_body(std::string_view assertion);

}  // namespace reportd::salesforce
