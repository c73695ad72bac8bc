// The API gate: every REST call passes here for counting, fault injection,
// session checks and the Sforce-Limit-Info header.
#include <openssl/rand.h>

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <memory>
#include <thread>

#include "http_util.hpp"
#include "sim.hpp"

namespace reportd::sim {
namespace {

constexpr const char* kHtml503 =
    "<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head>\n"
    "<body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your "
    "request due to maintenance downtime or capacity problems. Please try again later.</p>\n"
    "<p>Reference&#32;&#35;97&#46;8f1b3b17&#46;1700000000&#46;1a2b3c4d</p></body></html>\n";

std::string random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes));
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (char c : raw) {
    out += hex[(static_cast<unsigned char>(c) >> 4) & 15];
    out += hex[static_cast<unsigned char>(c) & 15];
  }
  return out;
}

std::string bearer(const httplib::Request& req) {
  std::string h = req.get_header_value("Authorization");
  for (const char* scheme : {"Bearer ", "OAuth ", "bearer "}) {
    std::string s = scheme;
    if (h.rfind(s, 0) == 0) return h.substr(s.size());
  }
  if (req.has_param("oauth_token")) return req.get_param_value("oauth_token");
  return {};
}

// Replaces a finished body by one that stops halfway and drops the connection.
void cut_body(httplib::Response& res) {
  auto body = std::make_shared<std::string>(std::move(res.body));
  res.body.clear();
  std::string type = res.get_header_value("Content-Type");
  res.headers.erase("Content-Type");
  res.set_content_provider(body->size(), type,
                           [body](size_t offset, size_t length, httplib::DataSink& sink) {
                             size_t half = body->size() / 2;
                             if (offset >= half) return false;  // abort: connection is closed
                             sink.write(body->data() + offset, std::min(length, half - offset));
                             return true;
                           });
}

}  // namespace

std::string Sim::mint_access_token(std::uint64_t user_row) {
  std::lock_guard lock(mu_);
  std::string t = org_.org_id + "!AQ4AQ" + random_hex(24) + "." + std::to_string(++serial_);
  access_tokens_[t] = 0;
  if (user_row != 0) token_users_[t] = user_row;
  return t;
}

void Sim::count(const std::string& name) {
  std::lock_guard lock(mu_);
  ++stats_[name];
}

void Sim::log_request(const httplib::Request& req, const httplib::Response& res) {
  std::lock_guard lock(mu_);
  if (requests_.size() < 200000) requests_.push_back({req.method, req.path, res.status});
  if (!opts_.request_log.empty()) {
    if (FILE* f = std::fopen(opts_.request_log.c_str(), "a")) {
      std::fprintf(f, "%s %s %d\n", req.method.c_str(), req.path.c_str(), res.status);
      std::fclose(f);
    }
  }
}

void Sim::add_route(httplib::Server& svr, const std::string& method, const std::string& path_regex,
                    httplib::Server::Handler h) {
  // Clients that join an instance URL ending in '/' send "//services/...";
  // accept any number of leading slashes.
  const std::string pattern = "/+" + path_regex.substr(1);
  if (opts_.latency_ms > 0 && path_regex.rfind("/__sim", 0) != 0) {
    // httplib serves each connection on its own worker thread, so the wait
    // holds only this connection, as a far server's round trip would.
    h = [h = std::move(h), ms = opts_.latency_ms](const httplib::Request& req, httplib::Response& res) {
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      h(req, res);
    };
  }
  if (table_ != nullptr) table_->add(method, pattern, std::move(h));
  else if (method == "GET") svr.Get(pattern, std::move(h));
  else if (method == "POST") svr.Post(pattern, std::move(h));
  else if (method == "PATCH") svr.Patch(pattern, std::move(h));
  else if (method == "PUT") svr.Put(pattern, std::move(h));
  else if (method == "DELETE") svr.Delete(pattern, std::move(h));
}

SimUser Sim::seen_by(std::uint64_t row) const {
  SimUser user = users_.by_row(row);
  std::lock_guard lock(mu_);
  user.hidden_fields.insert(user.hidden_fields.end(), faults_.missing_fields.begin(),
                            faults_.missing_fields.end());
  return user;
}

bool Sim::user_refused(const httplib::Request& req, httplib::Response& res, std::uint64_t row) {
  // Freezing or deactivating a user ends their sessions; a user without
  // "API Enabled" gets a token but no API call.
  const SimUser user = users_.by_row(row);
  if (user.state != SimUser::State::kActive) {
    count("user.session_ended");
    send_error(req, res, 401, "INVALID_SESSION_ID", "Session expired or invalid");
    return true;
  }
  if (!user.api_enabled) {
    count("user.api_disabled");
    send_error(req, res, 403, "API_DISABLED_FOR_ORG",
               "API is not enabled for this Organization or Partner");
    return true;
  }
  return false;
}

void Sim::plain(httplib::Server& svr, const std::string& method, const std::string& pattern,
                const std::string& name, Handler h) {
  add_route(svr, method, pattern, [this, name, h](const httplib::Request& req, httplib::Response& res) {
    count(name);
    h(req, res);
  });
}

void Sim::api(httplib::Server& svr, const std::string& method, const std::string& pattern,
              const std::string& name, ApiHandler h, bool metered) {
  add_route(svr, method, pattern, [this, name, h, metered](const httplib::Request& req,
                                                           httplib::Response& res) {
    count(name);
    Caller c;
    c.version = req.matches.size() > 1 && req.matches[1].matched ? req.matches[1].str()
                                                                  : opts_.api_version;
    // Versions the org does not serve are 404 NOT_FOUND, as on Salesforce.
    const double ver = std::atof(c.version.c_str());
    if (ver < 31.0 || ver > std::atof(opts_.api_version.c_str())) {
      send_error(req, res, 404, "NOT_FOUND", "The requested resource does not exist");
      return;
    }
    std::uint64_t slow = 0, limit = 0, max = opts_.api_max;
    bool html503 = false;
    {
      std::lock_guard lock(mu_);
      if (metered) {
        c.call = ++api_calls_;
        slow = faults_.slow_ms;
        html503 = (faults_.html_503_every > 0 && c.call % faults_.html_503_every == 0) ||
                  (faults_.html_503_after > 0 && c.call > faults_.html_503_after);
        c.cut = faults_.cut_body_every > 0 && c.call % faults_.cut_body_every == 0;
        limit = faults_.limit_exceeded_after;
        if (limit > 0) max = limit;
      }
    }
    if (slow > 0) std::this_thread::sleep_for(std::chrono::milliseconds(slow));
    if (html503) {
      count("fault.html_503");
      res.status = 503;
      res.set_content(kHtml503, "text/html; charset=UTF-8");
      return;
    }
    std::string token = bearer(req);
    bool valid = false, expired = false;
    {
      std::lock_guard lock(mu_);
      auto it = access_tokens_.find(token);
      if (it != access_tokens_.end()) {
        valid = true;
        if (auto u = token_users_.find(token); u != token_users_.end()) c.user = u->second;
        ++it->second;
        if (faults_.session_expires_after > 0 && it->second > faults_.session_expires_after) {
          expired = true;
          access_tokens_.erase(it);
        }
      }
    }
    if (metered) {
      res.set_header("Sforce-Limit-Info", "api-usage=" + std::to_string(std::min(c.call, max)) +
                                              "/" + std::to_string(max));
    }
    if (!valid || expired) {
      if (expired) count("fault.session_expired");
      send_error(req, res, 401, "INVALID_SESSION_ID", "Session expired or invalid");
      return;
    }
    if (user_refused(req, res, c.user)) return;
    if (limit > 0 && c.call > limit) {
      count("fault.limit_exceeded");
      send_error(req, res, 403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.");
      return;
    }
    h(req, res, c);
    if (c.cut && !res.content_provider_ && !res.body.empty()) {
      count("fault.cut_body");
      cut_body(res);
    }
  });
}

}  // namespace reportd::sim
