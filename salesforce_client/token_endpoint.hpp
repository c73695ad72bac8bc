#pragma once
// One POST to /services/oauth2/token on the login host, for any grant
// (refresh_token, authorization_code + PKCE, JWT bearer). The request body and
// the raw response are zeroed after use. Runs on the pool's executor.

#include <boost/asio/awaitable.hpp>
#include <string>

#include "salesforce_client/http_message.hpp"
#include "salesforce_client/https_pool.hpp"
#include "salesforce_client/oauth.hpp"

namespace reportd::salesforce {

// `form_body` comes from refresh_grant_body / code_exchange_body /
// jwt_bearer_body. invalid_grant and other credential rejections are kAuth
// (code = the OAuth error); 5xx and network failures are kTransient. The
// returned TokenResponse holds secrets: wipe() it when done.
boost::asio::awaitable<Result<TokenResponse>> request_token(HttpsPool& pool, Origin login,
                                                            std::string form_body);

// The web-server flow's last step: exchanges the authorization code for
// tokens (the response carries the refresh token to seal and store).
boost::asio::awaitable<Result<TokenResponse>> exchange_code(HttpsPool& pool, Origin login,
                                                            std::string code, std::string client_id,
                                                            std::string client_secret,
                                                            std::string redirect_uri,
                                                            std::string code_verifier);

}  // namespace reportd::salesforce
