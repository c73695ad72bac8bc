#include "salesforce_client/token_endpoint.hpp"

#include "salesforce_client/error.hpp"

namespace reportd::salesforce {
namespace asio = boost::asio;

namespace {
constexpr std::string_view kTokenPath = "/services/oauth2/token";
}

asio::awaitable<Result<TokenResponse>> request_token(HttpsPool& pool, Origin login,
                                                     std::string form_body) {
  HttpRequest req;
  req.method = "POST";
  req.origin = std::move(login);
  req.target = std::string(kTokenPath);
  req.content_type = "application/x-www-form-urlencoded";
  req.secret = true;
  req.body = std::move(form_body);
  const std::string context = "salesforce: POST " + std::string(kTokenPath);
  Result<HttpResponse> res = co_await pool.request(std::move(req));
  if (!res) co_return std::move(res).status();
  HttpResponse& r = res.value();
  if (r.status != 200) {
    Error e = oauth_error(r.status, r.content_type, r.body, context);
    wipe(r.body);
    if (e.kind == ErrorKind::kAuth) e.message += " (the connection needs re-authorization)";
    co_return e.to_status();
  }
  Result<TokenResponse> parsed = parse_token_response(r.body);
  wipe(r.body);
  co_return parsed;
}

asio::awaitable<Result<TokenResponse>> exchange_code(HttpsPool& pool, Origin login,
                                                     std::string code, std::string client_id,
                                                     std::string client_secret,
                                                     std::string redirect_uri,
                                                     std::string code_verifier) {
  std::string body =
      code_exchange_body(code, client_id, client_secret, redirect_uri, code_verifier);
  wipe(code);
  wipe(code_verifier);
  co_return co_await request_token(pool, std::move(login), std::move(body));
}

}  // namespace reportd::salesforce
