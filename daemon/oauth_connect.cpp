#include "daemon/oauth_connect.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_future.hpp>
#include <future>
#include <thread>

#include "daemon/log.hpp"
#include "daemon/time_text.hpp"
#include "jobs/render/html_summary.hpp"
#include "jobs/connections.hpp"
#include "salesforce_client/oauth.hpp"
#include "salesforce_client/token_endpoint.hpp"

namespace asio = boost::asio;

namespace reportd::daemon {
namespace {

// A pending row is not a connection yet: connection id 0 never names a row,
// and the "org" part binds the record to the row's state.
std::string binding_text(std::string_view state) { return "oauth-pending:" + std::string(state); }

HttpReply page(int status, std::string_view title, std::string_view text) {
  HttpReply r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body =
      "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>reportd: " + render::html_escape(title) +
      "</title></head>\n<body style=\"font-family:sans-serif\"><h1>" + render::html_escape(title) +
      "</h1>\n<p>" + render::html_escape(text) + "</p></body></html>\n";
  return r;
}

// An error code from the query string, shown and stored: keep it short and plain.
std::string plain_token(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 80)) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.' || c == ' ';
    out += ok ? c : '?';
  }
  return out;
}

CallbackOutcome refused(int status, std::string title, std::string error) {
  CallbackOutcome o;
  o.page = page(status, title, error);
  o.error = std::move(error);
  return o;
}

struct Secrets {
  std::string verifier;
  bool reauth = false;
  std::string client_secret;
  void wipe() {
    salesforce::wipe(verifier);
    salesforce::wipe(client_secret);
  }
};

Result<Secrets> open_pending(const crypto::Vault& vault, const store::PendingAuthorization& p) {
  std::string b = binding_text(p.state);
  auto plain = vault.open(p.sealed_secrets, crypto::Binding{0, b});
  if (!plain.ok()) {
    return std::move(plain).status().with_context(
        "cannot open the pending authorization's sealed verifier (is this process using the "
        "same master key as the `connections add --authorize` command?)");
  }
  // verifier \n mode \n client secret (the secret last: it may hold anything)
  std::string_view v = plain->view();
  auto nl = v.find('\n');
  auto nl2 = nl == std::string_view::npos ? nl : v.find('\n', nl + 1);
  if (nl2 == std::string_view::npos) {
    return Status::error(ErrorKind::kCorrupt, "pending authorization: malformed sealed secrets");
  }
  Secrets s;
  s.verifier = std::string(v.substr(0, nl));
  s.reauth = v.substr(nl + 1, nl2 - nl - 1) == "reauth";
  s.client_secret = std::string(v.substr(nl2 + 1));
  return s;
}

// Store-thread steps, as named function objects (GCC 12: no capturing
// lambda temporaries inside co_await).
struct Claim {
  std::string state;
  std::int64_t now_ms = 0;
  Result<std::optional<store::PendingAuthorization>> operator()(store::Store& s) const {
    return s.claim_pending_authorization(state, now_ms);
  }
};

struct Finish {
  std::string state;
  std::string outcome;
  Status operator()(store::Store& s) const {
    return s.finish_pending_authorization(state, outcome);
  }
};

// Creates the connection with its sealed refresh token and client secret
// and marks the pending row done, in one transaction; the tokens are the
// caller's to wipe. The org the token names pins the connection.
struct CreateConnection {
  const crypto::Vault* vault = nullptr;
  const store::PendingAuthorization* pending = nullptr;
  const salesforce::TokenResponse* token = nullptr;
  const Secrets* secrets = nullptr;
  std::string org_id;
  Result<std::int64_t> operator()(store::Store& s) const {
    store::Connection c;
    c.name = pending->name;
    c.login_url = pending->login_url;
    c.client_id = pending->client_id;
    c.org_id = org_id;
    c.instance_url = token->instance_url;
    c.created_at_ms = now_ms();
    Result<std::int64_t> id = Status::error(ErrorKind::kInternal, "not stored");
    Status st = s.transaction([&](store::Store& t) -> Status {
      id = jobs::add_connection(t, *vault, c, token->refresh_token, secrets->client_secret);
      if (!id.ok()) return id.status();
      return t.finish_pending_authorization(pending->state, "ok");
    });
    if (!st.ok()) return st;
    return id;
  }
};

// Replaces the tokens of the existing connection (re-authorization) through
// jobs::reauthorize: a token of another org than the pinned one is refused
// and the connection marked org-mismatch, which stays recorded.
struct ReauthConnection {
  const crypto::Vault* vault = nullptr;
  const store::PendingAuthorization* pending = nullptr;
  const salesforce::TokenResponse* token = nullptr;
  const Secrets* secrets = nullptr;
  std::string org_id;
  Result<std::int64_t> operator()(store::Store& s) const {
    jobs::NewCredential credential;
    credential.refresh_token = token->refresh_token;
    credential.client_secret = std::string_view(secrets->client_secret);
    credential.org_id = org_id;
    credential.instance_url = token->instance_url;
    Result<store::Connection> c = Status::error(ErrorKind::kInternal, "not stored");
    Status refused;
    Status st = s.transaction([&](store::Store& t) -> Status {
      c = jobs::reauthorize(t, *vault, pending->name, credential);
      if (!c.ok() && c.status().code() == "org-mismatch") {
        refused = c.status();
        return t.finish_pending_authorization(pending->state, refused.message());
      }
      if (!c.ok()) return c.status();
      return t.finish_pending_authorization(pending->state, "ok");
    });
    if (!st.ok()) return st;
    if (!refused.ok()) return refused;
    return c->id;
  }
};

}  // namespace

std::vector<std::uint8_t> seal_pending(const crypto::Vault& vault, std::string_view state,
                                       std::string_view verifier, std::string_view client_secret,
                                       bool reauth) {
  const std::string_view mode = reauth ? "reauth" : "add";
  crypto::SecureBuffer plain(verifier.size() + 1 + mode.size() + 1 + client_secret.size());
  std::uint8_t* at = plain.data();
  at = std::copy(verifier.begin(), verifier.end(), at);
  *at++ = '\n';
  at = std::copy(mode.begin(), mode.end(), at);
  *at++ = '\n';
  std::copy(client_secret.begin(), client_secret.end(), at);
  std::string b = binding_text(state);
  return vault.seal(plain, crypto::Binding{0, b});
}

// A refusal after the claim: the page, and the connection it was for.
CallbackOutcome refused_for(const store::PendingAuthorization& pending, int status, std::string title,
                            std::string error) {
  CallbackOutcome out = refused(status, std::move(title), std::move(error));
  out.connection = pending.name;
  return out;
}

// Stores the new or re-authorized connection with the token, pinned to its
// org, in one transaction on the store thread. The org's id, or why not.
asio::awaitable<Result<std::int64_t>> store_connection(const CallbackServices& services,
                                                       const store::PendingAuthorization& pending,
                                                       salesforce::TokenResponse& token, Secrets& secrets,
                                                       const std::string& org) {
  if (org.empty()) {
    // Nothing to pin the connection to, or to check it against.
    co_return Status::error(ErrorKind::kAuth,
                            "the token response of " + pending.login_url +
                                " names no org (no identity URL), so reportd cannot pin or check the "
                                "connection's org; nothing was stored. Check the login URL and try again",
                            "org-mismatch");
  }
  if (secrets.reauth) {
    ReauthConnection update;
    update.vault = services.vault;
    update.pending = &pending;
    update.token = &token;
    update.secrets = &secrets;
    update.org_id = org;
    co_return co_await services.store->run(std::move(update));
  }
  CreateConnection create;
  create.vault = services.vault;
  create.pending = &pending;
  create.token = &token;
  create.secrets = &secrets;
  create.org_id = org;
  co_return co_await services.store->run(std::move(create));
}

// Trades the code for a token at the pending row's login URL and stores the
// connection. Wipes the code, the token and the row's opened secrets.
asio::awaitable<CallbackOutcome> exchange_and_store(const CallbackServices& services,
                                                    const store::PendingAuthorization& pending, std::string code,
                                                    const std::string& again) {
  auto secrets = open_pending(*services.vault, pending);
  auto login = salesforce::parse_https_url(pending.login_url);
  auto executor = co_await asio::this_coro::executor;
  auto pool = salesforce::HttpsPool::create(executor, services.transport);
  if (!secrets.ok()) {
    salesforce::wipe(code);
    co_return refused_for(pending, 500, "Authorization failed", secrets.status().message());
  }
  if (!login.ok() || !pool.ok()) {
    salesforce::wipe(code);
    secrets->wipe();
    co_return refused_for(pending, 500, "Authorization failed",
                          "cannot reach the login URL " + pending.login_url + ": " +
                              (login.ok() ? pool.status().message() : login.status().message()));
  }
  std::string secret_copy = secrets->client_secret;
  auto token = co_await salesforce::exchange_code(**pool, login->origin, std::move(code), pending.client_id,
                                                  std::move(secret_copy), pending.redirect_uri,
                                                  std::move(secrets->verifier));
  if (!token.ok()) {
    secrets->wipe();
    co_return refused_for(pending, 502, "Authorization failed",
                          "The token exchange at " + pending.login_url + " failed: " +
                              token.status().message() + ". Nothing was stored. " + again);
  }
  if (token->refresh_token.empty()) {
    token->wipe();
    secrets->wipe();
    co_return refused_for(pending, 502, "Authorization failed",
                          "Salesforce issued no refresh token: give the connected app the \"Perform "
                          "requests at any time (refresh_token, offline_access)\" scope. Nothing was "
                          "stored. " +
                              again);
  }
  const std::string org = org_id_from_identity(token->id);
  const bool reauth = secrets->reauth;
  auto storing = store_connection(services, pending, token.value(), secrets.value(), org);
  Result<std::int64_t> id = co_await std::move(storing);
  token->wipe();
  secrets->wipe();
  if (!id.ok() && id.status().code() == "org-mismatch") {
    log::err("connection.org_mismatch", {{"connection", pending.name}, {"org", org}, {"error", id.status().message()}});
    co_return refused_for(pending, 409, "Authorization refused", id.status().message());
  }
  if (!id.ok()) {
    co_return refused_for(pending, id.status().kind() == ErrorKind::kAlreadyExists ? 409 : 500,
                          "Authorization failed", "reportd could not store the connection: " + id.status().message());
  }
  CallbackOutcome out;
  out.connected = true;
  out.connection = pending.name;
  out.org_id = org;
  out.page = page(200, "Connected",
                  std::string(reauth ? "reportd re-authorized " : "reportd connected ") + pending.name +
                      " (org " + org + "). You can close this tab.");
  co_return out;
}

asio::awaitable<CallbackOutcome> complete_authorization(CallbackServices services,
                                                        CallbackQuery query) {
  const std::string again = "Run `reportd connections add NAME --authorize ...` again.";
  if (query.state.empty()) {
    salesforce::wipe(query.code);
    co_return refused(400, "Authorization refused",
                      "The callback has no state parameter, so it cannot belong to a pending "
                      "`reportd connections add --authorize`. Nothing was stored.");
  }
  Claim claim;
  claim.state = query.state;
  claim.now_ms = now_ms();
  auto claimed = co_await services.store->run(std::move(claim));
  if (!claimed.ok()) {
    salesforce::wipe(query.code);
    co_return refused(503, "Authorization failed",
                      "reportd could not read its store: " + claimed.status().message());
  }
  if (!*claimed) {
    salesforce::wipe(query.code);
    co_return refused(400, "Authorization refused",
                      "This authorization is unknown, has expired or was already used; nothing "
                      "was stored. " +
                          again);
  }
  store::PendingAuthorization pending = std::move(**claimed);
  CallbackOutcome out;
  if (!query.error.empty()) {
    salesforce::wipe(query.code);
    out = refused_for(pending, 400, "Authorization denied",
                      "Salesforce did not authorize the connection " + pending.name + ": " +
                          plain_token(query.error) +
                          (query.error_description.empty() ? ""
                                                           : " (" + plain_token(query.error_description) + ")") +
                          ". Nothing was stored. " + again);
  } else if (query.code.empty()) {
    out = refused_for(pending, 400, "Authorization failed", "The callback carries no authorization code. " + again);
  } else {
    auto exchanging = exchange_and_store(services, pending, std::move(query.code), again);
    out = co_await std::move(exchanging);
    if (out.connected) co_return out;
  }
  // Every failure after the claim: record why and wipe the sealed secrets,
  // so the waiting command stops and the state cannot be used again.
  Finish finish;
  finish.state = pending.state;
  finish.outcome = out.error.empty() ? std::string("failed") : out.error;
  (void)co_await services.store->run(std::move(finish));
  co_return out;
}

CallbackOutcome run_callback(asio::io_context& io, CallbackServices services, CallbackQuery query,
                             const std::atomic<bool>& closing, std::chrono::seconds timeout) {
  std::future<CallbackOutcome> done = asio::co_spawn(
      io, complete_authorization(std::move(services), std::move(query)), asio::use_future);
  auto until = std::chrono::steady_clock::now() + timeout;
  while (done.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
    if (closing.load() || std::chrono::steady_clock::now() > until) {
      return refused(503, "Authorization interrupted",
                     "reportd is shutting down or took too long; check `reportd connections "
                     "list` and run `reportd connections add NAME --authorize ...` again.");
    }
  }
  try {
    return done.get();
  } catch (const std::exception&) {
    return refused(500, "Authorization failed", "internal error while completing the callback");
  }
}

}  // namespace reportd::daemon
