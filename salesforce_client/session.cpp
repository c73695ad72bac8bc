// Waiters park on a timer that never expires; the coroutine doing the token
// request cancels it when done, which wakes them all at once. An
// invalid_grant (or any kAuth answer) sticks: the connection needs a person,
// so no later call asks Salesforce again with the same credential.
#include "salesforce_client/session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "salesforce_client/error.hpp"
#include "salesforce_client/oauth.hpp"
#include "salesforce_client/token_endpoint.hpp"

namespace reportd::salesforce {
namespace asio = boost::asio;

Session::Session(asio::any_io_executor executor, HttpsPool& pool, Origin login,
                 Credential credential, AcceptToken accept)
    : pool_(pool),
      login_(std::move(login)),
      credential_(std::move(credential)),
      accept_(std::move(accept)),
      wake_(executor, asio::steady_timer::time_point::max()) {}

asio::awaitable<Result<AccessToken>> Session::token() {
  if (current_.generation > 0) co_return current_;
  co_return co_await refresh_after(0);
}

asio::awaitable<Result<AccessToken>> Session::refresh_after(std::uint64_t stale_generation) {
  for (;;) {
    if (last_failure_.kind() == ErrorKind::kAuth) co_return last_failure_;
    if (current_.generation > stale_generation) co_return current_;
    if (!refreshing_) {
      refreshing_ = true;
      Status s = co_await request_token();
      refreshing_ = false;
      ++finished_;
      last_failure_ = s;
      wake_.cancel();
      if (!s.ok()) co_return s;
      co_return current_;
    }
    // Someone else is asking for a token: wait for that answer and share it.
    const std::uint64_t seen = finished_;
    while (finished_ == seen) co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!last_failure_.ok()) co_return last_failure_;
  }
}

asio::awaitable<Status> Session::request_token() {
  ++requests_;
  std::string body;
  if (auto* rt = std::get_if<RefreshTokenCredential>(&credential_)) {
    if (!rt->load_refresh_token)
      co_return Status::error(ErrorKind::kInternal, "salesforce: no refresh-token loader");
    std::string secret;
    if (rt->load_client_secret) {
      Result<std::string> loaded = co_await rt->load_client_secret();
      if (!loaded) co_return std::move(loaded).status().with_context("salesforce: load client secret");
      secret = std::move(loaded.value());
    }
    Result<std::string> token = co_await rt->load_refresh_token();
    if (!token) {
      wipe(secret);
      co_return std::move(token).status().with_context("salesforce: load refresh token");
    }
    body = refresh_grant_body(rt->client_id, secret, token.value());
    wipe(token.value());
    wipe(secret);
  } else {
    auto& jwt = std::get<JwtCredential>(credential_);
    if (!jwt.load_private_key_pem)
      co_return Status::error(ErrorKind::kInternal, "salesforce: no JWT key loader");
    Result<std::string> pem = co_await jwt.load_private_key_pem();
    if (!pem) co_return std::move(pem).status().with_context("salesforce: load JWT key");
    auto assertion = make_jwt_assertion(pem.value(), jwt.client_id, jwt.username, jwt.audience,
                                        std::chrono::system_clock::now());
    wipe(pem.value());
    if (!assertion) co_return std::move(assertion).status();
    body = jwt_bearer_body(assertion.value());
  }

  Result<TokenResponse> parsed = co_await salesforce::request_token(pool_, login_, std::move(body));
  if (!parsed) co_return std::move(parsed).status();
  TokenResponse& t = parsed.value();
  auto instance = parse_https_url(t.instance_url);
  if (!instance) {
    t.wipe();
    co_return std::move(instance).status().with_context("salesforce: token response instance_url");
  }
  if (accept_) {
    // Before the rotated refresh token is stored and before the access token
    // is used: a token of another org leaves no trace.
    // Named, not temporaries inside co_await: GCC 12 destroys those twice.
    TokenIdentity identity{org_id_from_identity(t.id), t.instance_url};
    asio::awaitable<Status> check = accept_(std::move(identity));
    Status accepted = co_await std::move(check);
    if (!accepted.ok()) {
      t.wipe();
      co_return accepted;
    }
  }
  if (!t.refresh_token.empty()) {
    // Rotation: the old refresh token is already dead; persist the new one
    // before anything uses the access token that came with it.
    auto* rt = std::get_if<RefreshTokenCredential>(&credential_);
    if (rt && rt->store_refresh_token) {
      std::string rotated;
      rotated.swap(t.refresh_token);
      Status stored = co_await rt->store_refresh_token(std::move(rotated));
      if (!stored.ok()) {
        t.wipe();
        co_return std::move(stored).with_context("salesforce: store rotated refresh token");
      }
    } else {
      wipe(t.refresh_token);
    }
  }
  wipe(current_.bearer);
  current_.bearer = "Bearer " + t.access_token;
  current_.instance = std::move(instance.value().origin);
  ++current_.generation;
  t.wipe();
  co_return Status();
}

}  // namespace reportd::salesforce
