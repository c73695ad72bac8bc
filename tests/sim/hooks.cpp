// Test hooks under /__sim (loopback only): read and change fault knobs at
// runtime, per-endpoint call counts, and the request log (method + path).
#include <boost/json.hpp>

#include "http_util.hpp"
#include "sim.hpp"

namespace reportd::sim {
namespace {

namespace json = boost::json;

bool loopback(const httplib::Request& req) {
  return req.remote_addr == "127.0.0.1" || req.remote_addr == "::1" ||
         req.remote_addr == "::ffff:127.0.0.1";
}

std::string names_json(const std::vector<std::string>& names) {
  std::string out = "[";
  for (const std::string& n : names) out += (out.size() > 1 ? "," : "") + jstr(n);
  return out + "]";
}

// {"missing_fields": ["Object.Field", ...]}; false on anything else.
bool set_names(const json::value& v, std::vector<std::string>& out) {
  if (!v.is_array()) return false;
  std::vector<std::string> next;
  for (const json::value& n : v.as_array()) {
    if (!n.is_string() || std::string_view(n.as_string()).find('.') == std::string_view::npos) return false;
    next.emplace_back(n.as_string());
  }
  out = std::move(next);
  return true;
}

std::string faults_json(const Faults& f) {
  auto u = [](std::uint64_t n) { return std::to_string(n); };
  auto b = [](bool x) { return x ? std::string("true") : std::string("false"); };
  return "{\"session_expires_after\":" + u(f.session_expires_after) +
         ",\"rotate_refresh_token\":" + b(f.rotate_refresh_token) +
         ",\"invalid_grant\":" + b(f.invalid_grant) +
         ",\"limit_exceeded_after\":" + u(f.limit_exceeded_after) +
         ",\"html_503_every\":" + u(f.html_503_every) + ",\"html_503_after\":" + u(f.html_503_after) +
         ",\"slow_ms\":" + u(f.slow_ms) + ",\"cut_body_every\":" + u(f.cut_body_every) +
         ",\"invalid_locator\":" + b(f.invalid_locator) +
         ",\"loop_locator\":" + b(f.loop_locator) +
         ",\"token_org_id\":" + jstr(f.token_org_id) +
         ",\"token_instance_url\":" + jstr(f.token_instance_url) + ",\"missing_fields\":" +
         names_json(f.missing_fields) + "}";
}

// Applies the keys present in o; false on an unknown key or a bad type.
bool apply(const json::object& o, Faults& f, std::string& err) {
  for (const auto& [k, v] : o) {
    std::string key(k);
    std::uint64_t* num = key == "session_expires_after" ? &f.session_expires_after
                         : key == "limit_exceeded_after" ? &f.limit_exceeded_after
                         : key == "html_503_every"       ? &f.html_503_every
                         : key == "html_503_after"       ? &f.html_503_after
                         : key == "slow_ms"              ? &f.slow_ms
                         : key == "cut_body_every"       ? &f.cut_body_every
                                                         : nullptr;
    bool* flag = key == "rotate_refresh_token" ? &f.rotate_refresh_token
                 : key == "invalid_grant"      ? &f.invalid_grant
                 : key == "invalid_locator"    ? &f.invalid_locator
                 : key == "loop_locator"       ? &f.loop_locator
                                               : nullptr;
    std::string* text = key == "token_org_id"         ? &f.token_org_id
                        : key == "token_instance_url" ? &f.token_instance_url
                                                      : nullptr;
    if (key == "missing_fields") {
      if (!set_names(v, f.missing_fields)) {
        err = "missing_fields takes \"Object.Field\" names";
        return false;
      }
    } else if (text != nullptr && v.is_string()) {
      *text = std::string(v.as_string());
    } else if (num != nullptr && v.is_int64() && v.as_int64() >= 0) {
      *num = static_cast<std::uint64_t>(v.as_int64());
    } else if (flag != nullptr && v.is_bool()) {
      *flag = v.as_bool();
    } else if (key != "reset_counters" && key != "expire_sessions") {
      err = "bad or unknown fault '" + key + "'";
      return false;
    }
  }
  return true;
}

}  // namespace

void Sim::guarded(httplib::Server& svr, const std::string& method, const std::string& path,
                  Handler h) {
  plain(svr, method, path, "sim" + path.substr(6),
        [h](const httplib::Request& req, httplib::Response& res) {
          if (!loopback(req)) {
            res.status = 403;
            return;
          }
          h(req, res);
        });
}

void Sim::install_hooks(httplib::Server& svr) {
  guarded(svr, "GET", "/__sim/faults", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    send_json(req, res, 200, faults_json(faults_));
  });
  guarded(svr, "POST", "/__sim/faults", [this](const httplib::Request& req, httplib::Response& res) {
    boost::system::error_code ec;
    json::value v = json::parse(req.body, ec);
    if (ec || !v.is_object()) return send_json(req, res, 400, "{\"error\":\"body must be a JSON object\"}");
    std::lock_guard lock(mu_);
    Faults next = faults_;
    std::string err;
    if (!apply(v.as_object(), next, err)) return send_json(req, res, 400, "{\"error\":" + jstr(err) + "}");
    faults_ = next;
    const auto& o = v.as_object();
    if (auto* r = o.if_contains("reset_counters"); r != nullptr && r->is_bool() && r->as_bool()) {
      api_calls_ = 0;
      for (auto& [t, n] : access_tokens_) n = 0;
    }
    if (auto* e = o.if_contains("expire_sessions"); e != nullptr && e->is_bool() && e->as_bool())
      access_tokens_.clear();
    send_json(req, res, 200, faults_json(faults_));
  });
  guarded(svr, "POST", "/__sim/reset", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    faults_ = opts_.faults;
    api_calls_ = 0;
    stats_.clear();
    requests_.clear();
    send_json(req, res, 200, faults_json(faults_));
  });
  install_user_hooks(svr);
  guarded(svr, "GET", "/__sim/stats", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    std::string out = "{\"api_calls\":" + std::to_string(api_calls_) +
                      ",\"access_tokens\":" + std::to_string(access_tokens_.size()) +
                      ",\"cursors\":" + std::to_string(cursors_.size()) +
                      ",\"bulk_jobs\":" + std::to_string(jobs_.size()) + ",\"endpoints\":{";
    bool first = true;
    for (const auto& [k, n] : stats_) {
      out += (first ? "" : ",") + jstr(k) + ":" + std::to_string(n);
      first = false;
    }
    send_json(req, res, 200, out + "}}");
  });
  guarded(svr, "GET", "/__sim/requests", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    std::string out = "[";
    for (size_t i = 0; i < requests_.size(); ++i) {
      const auto& r = requests_[i];
      out += (i ? "," : "") + std::string("{\"method\":") + jstr(r.method) + ",\"path\":" + jstr(r.path) +
             ",\"status\":" + std::to_string(r.status) + "}";
    }
    send_json(req, res, 200, out + "]");
  });
  guarded(svr, "DELETE", "/__sim/requests", [this](const httplib::Request&, httplib::Response& res) {
    std::lock_guard lock(mu_);
    requests_.clear();
    res.status = 204;
  });
}

void Sim::install_user_hooks(httplib::Server& svr) {
  guarded(svr, "GET", "/__sim/users", [this](const httplib::Request& req, httplib::Response& res) {
    send_json(req, res, 200, users_.json());
  });
  guarded(svr, "POST", "/__sim/users", [this](const httplib::Request& req, httplib::Response& res) {
    boost::system::error_code ec;
    json::value v = json::parse(req.body, ec);
    if (ec || !v.is_object()) return send_json(req, res, 400, "{\"error\":\"body must be a JSON object\"}");
    std::string err;
    if (!users_.update(v.as_object(), err)) return send_json(req, res, 400, "{\"error\":" + jstr(err) + "}");
    send_json(req, res, 200, users_.json());
  });
}

}  // namespace reportd::sim
