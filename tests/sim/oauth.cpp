// OAuth 2.0: token (refresh_token, authorization_code + PKCE, JWT bearer,
// password, client_credentials), authorize, revoke, userinfo and identity.
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <boost/json.hpp>
#include <cctype>
#include <chrono>

#include "http_util.hpp"
#include "sim.hpp"

namespace reportd::sim {
namespace {

namespace json = boost::json;

std::string random_token(size_t bytes) {
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes));
  std::string s = base64_encode(raw, true);
  for (auto& ch : s)
    if (ch == '-' || ch == '_') ch = 'x';
  return s;
}

std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string hmac_b64(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &n);
  return base64_encode(std::string(reinterpret_cast<char*>(out), n));
}

std::string s256(const std::string& verifier) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(verifier.data()), verifier.size(), d);
  return base64_encode(std::string(reinterpret_cast<char*>(d), sizeof d), true);
}

std::int64_t now_secs() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string Sim::token_body(const std::string& access, const std::string& refresh,
                            const std::string& scope, const std::string& user_id) {
  std::string org_id = org_.org_id, instance = org_.base_url;
  {
    std::lock_guard lock(mu_);
    if (!faults_.token_org_id.empty()) org_id = faults_.token_org_id;
    if (!faults_.token_instance_url.empty()) instance = faults_.token_instance_url;
  }
  std::string id = org_.base_url + "/id/" + org_id + "/" + (user_id.empty() ? org_.user_id : user_id);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  std::string issued = std::to_string(ms);
  std::string body = "{\"access_token\":" + jstr(access);
  if (!refresh.empty()) body += ",\"refresh_token\":" + jstr(refresh);
  body += ",\"signature\":" + jstr(hmac_b64(org_.client_secret, id + issued)) +
          ",\"scope\":" + jstr(scope) + ",\"instance_url\":" + jstr(instance) +
          ",\"id\":" + jstr(id) + ",\"token_type\":\"Bearer\",\"issued_at\":" + jstr(issued) + "}";
  return body;
}

void Sim::token(const httplib::Request& req, httplib::Response& res) {
  std::string grant = req.get_param_value("grant_type");
  count("oauth.grant." + (grant.size() > 40 ? std::string("jwt-bearer") : grant));
  std::string client_id = req.get_param_value("client_id");
  std::string secret = req.get_param_value("client_secret");
  std::string basic = req.get_header_value("Authorization");
  if (basic.rfind("Basic ", 0) == 0) {
    std::string decoded;
    if (base64_decode(basic.substr(6), decoded)) {
      auto colon = decoded.find(':');
      client_id = decoded.substr(0, colon);
      if (colon != std::string::npos) secret = decoded.substr(colon + 1);
    }
  }
  bool fault_invalid_grant = false, rotate = false;
  {
    std::lock_guard lock(mu_);
    fault_invalid_grant = faults_.invalid_grant;
    rotate = faults_.rotate_refresh_token;
  }
  auto oauth_error = [&](const char* err, const char* desc) {
    count(std::string("oauth.error.") + err);
    send_oauth_error(req, res, 400, err, desc);
  };
  if (grant.empty()) return oauth_error("invalid_request", "grant type is missing");
  const bool jwt = grant == "urn:ietf:params:oauth:grant-type:jwt-bearer";
  if (!jwt && client_id != org_.client_id) return oauth_error("invalid_client_id", "client identifier invalid");
  if (!secret.empty() && secret != org_.client_secret)
    return oauth_error("invalid_client", "invalid client credentials");
  if (fault_invalid_grant) return oauth_error("invalid_grant", "expired access/refresh token");

  if (grant == "refresh_token") {
    std::string rt = req.get_param_value("refresh_token");
    std::string fresh;
    {
      std::lock_guard lock(mu_);
      auto it = refresh_tokens_.find(rt);
      if (it == refresh_tokens_.end() || !it->second) {
        fresh = "!";
      } else if (rotate) {
        it->second = false;
        fresh = "5Aep861" + random_token(60);
        refresh_tokens_[fresh] = true;
      }
    }
    if (fresh == "!") return oauth_error("invalid_grant", "expired access/refresh token");
    send_json(req, res, 200, token_body(mint_access_token(), fresh, "api refresh_token id"));
  } else if (grant == "authorization_code") {
    AuthCode code;
    bool found = false;
    {
      std::lock_guard lock(mu_);
      auto it = codes_.find(req.get_param_value("code"));
      if (it != codes_.end()) {
        code = it->second;
        found = true;
        codes_.erase(it);
      }
    }
    if (!found) return oauth_error("invalid_grant", "expired authorization code");
    if (req.get_param_value("redirect_uri") != code.redirect_uri)
      return oauth_error("invalid_grant", "redirect_uri must match configuration");
    if (!code.challenge.empty()) {
      std::string verifier = req.get_param_value("code_verifier");
      if (verifier.empty()) return oauth_error("invalid_grant", "invalid code verifier");
      std::string want = code.method == "plain" ? verifier : s256(verifier);
      if (want != code.challenge) return oauth_error("invalid_request", "invalid code verifier");
    }
    std::string rt = "5Aep861" + random_token(60);
    {
      std::lock_guard lock(mu_);
      refresh_tokens_[rt] = true;
    }
    send_json(req, res, 200, token_body(mint_access_token(), rt, "api refresh_token id"));
  } else if (jwt) {
    std::string assertion = req.get_param_value("assertion");
    auto d1 = assertion.find('.');
    auto d2 = d1 == std::string::npos ? d1 : assertion.find('.', d1 + 1);
    std::string header, claims, sig;
    if (d2 == std::string::npos || !base64_decode(assertion.substr(0, d1), header) ||
        !base64_decode(assertion.substr(d1 + 1, d2 - d1 - 1), claims) ||
        !base64_decode(assertion.substr(d2 + 1), sig))
      return oauth_error("invalid_grant", "invalid assertion");
    boost::system::error_code ec1, ec2;
    json::value h = json::parse(header, ec1), c = json::parse(claims, ec2);
    if (ec1 || ec2 || !h.is_object() || !c.is_object()) return oauth_error("invalid_grant", "invalid assertion");
    auto str = [](const json::object& o, const char* k) {
      auto* v = o.if_contains(k);
      return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
    };
    const auto& co = c.as_object();
    if (str(h.as_object(), "alg") != "RS256") return oauth_error("invalid_grant", "invalid assertion");
    if (str(co, "iss") != org_.client_id) return oauth_error("invalid_client_id", "client identifier invalid");
    std::string aud = str(co, "aud");
    if (aud != "https://login.salesforce.com" && aud != "https://test.salesforce.com" &&
        aud != org_.base_url && aud != org_.base_url + "/")
      return oauth_error("invalid_grant", "audience is invalid");
    const json::value* exp = co.if_contains("exp");
    if (exp == nullptr || !exp->is_number()) return oauth_error("invalid_grant", "invalid assertion");
    // sfdx-core sends milliseconds; Salesforce only rejects past expiry.
    auto e = static_cast<std::int64_t>(exp->to_number<double>());
    if (e < now_secs()) return oauth_error("invalid_grant", "expired authorization code");
    if (!verify_rs256(tls_.jwt_cert.get(), assertion.substr(0, d2), sig))
      return oauth_error("invalid_grant", "invalid assertion");
    // Only a verified assertion learns anything about its user.
    auto user = jwt_user(req, res, str(co, "sub"));
    if (!user) return;
    const bool integration = user->row == 0;
    send_json(req, res, 200,
              token_body(mint_access_token(user->row), "", "api id", integration ? "" : user->id));
  } else if (grant == "password") {
    std::string pw = req.get_param_value("password");
    if (req.get_param_value("username") != org_.username || pw.rfind(org_.password, 0) != 0)
      return oauth_error("invalid_grant", "authentication failure");
    send_json(req, res, 200, token_body(mint_access_token(), "", "api id"));
  } else if (grant == "client_credentials") {
    if (secret != org_.client_secret) return oauth_error("invalid_client", "invalid client credentials");
    send_json(req, res, 200, token_body(mint_access_token(), "", "api id"));
  } else {
    oauth_error("unsupported_grant_type", "grant type not supported");
  }
}

std::optional<SimUser> Sim::jwt_user(const httplib::Request& req, httplib::Response& res,
                                     const std::string& username) {
  auto refuse = [&](const char* desc) {
    count(std::string("oauth.error.invalid_grant"));
    count(std::string("oauth.jwt.") + desc);
    send_oauth_error(req, res, 400, "invalid_grant", desc);
    return std::optional<SimUser>();
  };
  auto user = users_.by_username(username);
  // Salesforce says the same for an unknown user as for one not approved.
  if (!user) return refuse("user hasn't approved this consumer");
  if (user->state == SimUser::State::kInactive) return refuse("inactive user");
  if (user->state == SimUser::State::kFrozen) return refuse("authentication failure");
  if (!user->preauthorized) return refuse("user hasn't approved this consumer");
  return user;
}

std::string Sim::identity_json() const {
  std::string base = org_.base_url;
  std::string v = "{version}";
  std::string urls = "{\"enterprise\":" + jstr(base + "/services/Soap/c/" + v + "/" + org_.org_id) +
                     ",\"partner\":" + jstr(base + "/services/Soap/u/" + v + "/" + org_.org_id) +
                     ",\"rest\":" + jstr(base + "/services/data/v" + v + "/") +
                     ",\"sobjects\":" + jstr(base + "/services/data/v" + v + "/sobjects/") +
                     ",\"search\":" + jstr(base + "/services/data/v" + v + "/search/") +
                     ",\"query\":" + jstr(base + "/services/data/v" + v + "/query/") +
                     ",\"recent\":" + jstr(base + "/services/data/v" + v + "/recent/") +
                     ",\"profile\":" + jstr(base + "/" + org_.user_id) +
                     ",\"custom_domain\":" + jstr(base) + "}";
  return "{\"id\":" + jstr(base + "/id/" + org_.org_id + "/" + org_.user_id) +
         ",\"sub\":" + jstr(base + "/id/" + org_.org_id + "/" + org_.user_id) +
         ",\"asserted_user\":true,\"user_id\":" + jstr(org_.user_id) +
         ",\"organization_id\":" + jstr(org_.org_id) + ",\"username\":" + jstr(org_.username) +
         ",\"preferred_username\":" + jstr(org_.username) +
         ",\"nick_name\":\"integration\",\"nickname\":\"integration\",\"display_name\":\"Integration User\","
         "\"name\":\"Integration User\",\"given_name\":\"Integration\",\"family_name\":\"User\","
         "\"first_name\":\"Integration\",\"last_name\":\"User\",\"email\":\"user0@example.com\","
         "\"email_verified\":true,\"zoneinfo\":\"Europe/London\",\"timezone\":\"Europe/London\","
         "\"active\":true,\"user_type\":\"STANDARD\",\"language\":\"en_US\",\"locale\":\"en_US\","
         "\"utcOffset\":0,\"is_app_installed\":true,\"urls\":" + urls + "}";
}

void Sim::install_oauth(httplib::Server& svr) {
  plain(svr, "POST", "/services/oauth2/token", "oauth.token",
        [this](const httplib::Request& req, httplib::Response& res) { token(req, res); });
  plain(svr, "GET", "/services/oauth2/authorize", "oauth.authorize",
        [this](const httplib::Request& req, httplib::Response& res) {
          std::string redirect = req.get_param_value("redirect_uri");
          if (req.get_param_value("client_id") != org_.client_id || redirect.empty()) {
            res.status = 400;
            res.set_content("<html><body>error=invalid_client_id: client identifier invalid</body></html>",
                            "text/html; charset=UTF-8");
            return;
          }
          std::string sep = redirect.find('?') == std::string::npos ? "?" : "&";
          std::string state = req.get_param_value("state");
          std::string tail = state.empty() ? "" : "&state=" + url_encode(state);
          if (req.get_param_value("response_type") != "code" || req.has_param("sim_deny")) {
            res.set_redirect(redirect + sep + "error=access_denied&error_description=" +
                             url_encode("end-user denied authorization") + tail);
            return;
          }
          std::string code = "aPrx" + random_token(40);
          {
            std::lock_guard lock(mu_);
            codes_[code] = {redirect, req.get_param_value("code_challenge"),
                            req.get_param_value("code_challenge_method")};
          }
          res.set_redirect(redirect + sep + "code=" + url_encode(code) + tail);
        });
  Handler revoke = [this](const httplib::Request& req, httplib::Response& res) {
    std::string t = req.get_param_value("token");
    bool known = false;
    {
      std::lock_guard lock(mu_);
      known = access_tokens_.erase(t) > 0;
      if (auto it = refresh_tokens_.find(t); it != refresh_tokens_.end() && it->second) {
        it->second = false;
        known = true;
      }
    }
    if (!known) return send_oauth_error(req, res, 400, "invalid_token", "invalid token");
    res.status = 200;
  };
  plain(svr, "POST", "/services/oauth2/revoke", "oauth.revoke", revoke);
  plain(svr, "GET", "/services/oauth2/revoke", "oauth.revoke", revoke);
  ApiHandler ident = [this](const httplib::Request& req, httplib::Response& res, const Caller&) {
    send_json(req, res, 200, identity_json());
  };
  api(svr, "GET", "/services/oauth2/userinfo", "oauth.userinfo", ident, false);
  api(svr, "GET", "/id/[0-9A-Za-z]+/[0-9A-Za-z]+", "identity", ident, false);
  api(svr, "POST", "/id/[0-9A-Za-z]+/[0-9A-Za-z]+", "identity", ident, false);
}

}  // namespace reportd::sim
