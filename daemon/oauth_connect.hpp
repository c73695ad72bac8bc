#pragma once
// The OAuth web-server flow with PKCE (`reportd connections add NAME
// --authorize`): what the CLI stores before the browser step, and what the
// /oauth/callback handler does after it. Whoever serves the redirect URI (the
// running daemon, or the CLI itself) runs complete_authorization() on its
// event loop: it checks the state, exchanges the code at the connection's
// login URL, seals the refresh token bound to the new connection's row
// (exactly like `connections add`) and wipes the pending row's secrets.

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "crypto/vault.hpp"
#include "daemon/http_endpoint.hpp"
#include "store/store_thread.hpp"
#include "salesforce_client/https_pool.hpp"
#include "salesforce_client/oauth.hpp"

namespace reportd::daemon {

// Scope asked for: REST API access and a refresh token for unattended runs.
inline constexpr std::string_view kAuthorizeScope = "api refresh_token";
inline constexpr std::string_view kCallbackPath = "/oauth/callback";

// What a pending authorization seals: the PKCE verifier and the connected
// app's secret (may be empty). Bound to the row's state, so a sealed blob
// copied to another row does not open.
// `reauth`: the callback replaces the tokens of the existing connection of
// that name (`connections reauth NAME --authorize`) instead of creating one.
std::vector<std::uint8_t> seal_pending(const crypto::Vault& vault, std::string_view state,
                                       std::string_view verifier, std::string_view client_secret,
                                       bool reauth);

using salesforce::org_id_from_identity;  // salesforce_client/oauth.hpp

struct CallbackOutcome {
  HttpReply page;  // for the browser: never a token or a code
  bool connected = false;
  std::string connection;  // the connection's name, when the state was known
  std::string org_id;
  std::string error;  // why not; also stored as the row's outcome
};

struct CallbackServices {
  store::StoreThread* store = nullptr;
  const crypto::Vault* vault = nullptr;
  salesforce::TransportOptions transport;  // [salesforce] ca_file and deadlines
};

// Completes one callback; runs on the caller's event loop. Unknown, expired
// or used state: 400 and nothing stored.
boost::asio::awaitable<CallbackOutcome> complete_authorization(CallbackServices services,
                                                               CallbackQuery query);

// For an httplib thread: runs complete_authorization() on `io` and waits for
// it, at most `timeout`, giving up early when `closing` becomes true.
CallbackOutcome run_callback(boost::asio::io_context& io, CallbackServices services,
                             CallbackQuery query, const std::atomic<bool>& closing,
                             std::chrono::seconds timeout);

}  // namespace reportd::daemon
