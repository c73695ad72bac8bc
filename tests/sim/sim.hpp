// The simulator: org identity, mutable test state (tokens, cursors, bulk
// jobs, fault knobs, counters) and the HTTP routes. Handlers run on
// httplib's worker threads; all mutable state is guarded by mu_.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dataset.hpp"
#include "options.hpp"
#include "plan.hpp"
#include "routes.hpp"
#include "soql.hpp"
#include "tls.hpp"
#include "users.hpp"

namespace reportd::sim {

/// Fixed identity of the demo org, written to org.json.
struct OrgInfo {
  std::string base_url;  // https://127.0.0.1:PORT, login and instance
  std::string org_id;
  std::string user_id;
  std::string username;
  std::string password;
  std::string client_id;
  std::string client_secret;
  std::string redirect_uri;
};

/// Who called an API route, after the gate let the call through.
struct Caller {
  std::string version;    // "62.0" from /services/data/v62.0/...
  std::uint64_t call = 0; // metered call number
  bool cut = false;       // this response must be cut mid-body (streaming routes do it themselves)
  std::uint64_t user = 0; // the token's user (a row of Users); 0 is the integration user
};

struct BulkJob {
  std::string id;
  std::string operation;  // query | queryAll
  std::string soql;
  std::string object;
  std::string version;
  std::string created;
  std::string delimiter = ",";
  std::string column_delimiter = "COMMA";
  std::string line_ending = "LF";
  std::string state = "UploadComplete";
  int polls = 0;
  std::uint64_t user = 0;  // the creator (a row of Users): results follow their sharing
};

struct ReportInstance {
  std::string id, report_id, owner_id, requested, completed;
  std::string status = "New";  // New -> Running -> Success, one step per fetch
  bool details = false;
};

class Sim {
 public:
  Sim(const Options& opts, const TlsMaterial& tls, OrgInfo org, Dataset& data);

  /// Adds every route to svr.
  void install(httplib::Server& svr);
  /// For one org of many (orgs.hpp): the same routes, kept in this org's
  /// own table (svr only passes through); serve them with dispatch().
  void install_routed(httplib::Server& svr);
  /// The NOT_FOUND and UNKNOWN_EXCEPTION answers install() sets up.
  static void install_error_handlers(httplib::Server& svr);
  /// Runs this org's route for req and logs it; false when none matched.
  bool dispatch(const httplib::Request& req, httplib::Response& res);
  /// The refresh token an org starts with, known before the org is built.
  static std::string first_refresh_token(const std::string& org_id);
  /// The mintable access token for org.json (valid from the start).
  std::string initial_access_token() const { return initial_access_token_; }
  std::string initial_refresh_token() const { return initial_refresh_token_; }
  const OrgInfo& org() const { return org_; }

  using ApiHandler = std::function<void(const httplib::Request&, httplib::Response&, const Caller&)>;
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

 private:
  void install_routes(httplib::Server& svr);  // every route, to svr or table_
  // gate.cpp
  void add_route(httplib::Server& svr, const std::string& method, const std::string& path_regex,
                 httplib::Server::Handler h);
  void api(httplib::Server& svr, const std::string& method, const std::string& pattern,
           const std::string& name, ApiHandler h, bool metered = true);
  void plain(httplib::Server& svr, const std::string& method, const std::string& pattern,
             const std::string& name, Handler h);
  void count(const std::string& name);
  std::string mint_access_token(std::uint64_t user_row = 0);
  // Answers 401/403 and returns true when the token's user may not call the API.
  bool user_refused(const httplib::Request& req, httplib::Response& res, std::uint64_t row);
  void log_request(const httplib::Request& req, const httplib::Response& res);
  // User `row` as the org's schema shows to them: the fields field-level
  // security hides from them and those the org lacks (Faults::missing_fields).
  SimUser seen_by(std::uint64_t row) const;
  // oauth.cpp
  void install_oauth(httplib::Server& svr);
  void token(const httplib::Request& req, httplib::Response& res);
  std::string token_body(const std::string& access, const std::string& refresh,
                         const std::string& scope, const std::string& user_id = {});
  // The JWT bearer grant's checks of a verified assertion's `sub`: answers
  // the error and returns nullopt, or returns the user to mint a token for.
  std::optional<SimUser> jwt_user(const httplib::Request& req, httplib::Response& res,
                                  const std::string& username);
  std::string identity_json() const;
  // rest.cpp
  void install_rest(httplib::Server& svr);
  // query.cpp
  void install_query(httplib::Server& svr);
  void run_query(const httplib::Request& req, httplib::Response& res, const Caller& c, bool all);
  void query_more(const httplib::Request& req, httplib::Response& res, const Caller& c);
  void write_page(httplib::Response& res, const httplib::Request& req, const Caller& c,
                  const std::string& cursor_id, Cursor cur, std::uint64_t offset);
  // sobjects.cpp
  void install_sobjects(httplib::Server& svr);
  // reports.cpp
  void install_reports(httplib::Server& svr);
  // report_instances.cpp
  void install_report_instances(httplib::Server& svr);
  SimUser requester(const ReportInstance& in) const;  // who asked for it
  // bulk.cpp
  void install_bulk(httplib::Server& svr);
  Query job_query(const BulkJob& j) const;
  // hooks.cpp
  void install_hooks(httplib::Server& svr);
  void install_user_hooks(httplib::Server& svr);
  // A loopback-only test hook under /__sim.
  void guarded(httplib::Server& svr, const std::string& method, const std::string& path, Handler h);

  const Options& opts_;
  const TlsMaterial& tls_;
  std::unique_ptr<RouteTable> table_;  // set by install_routed
  OrgInfo org_;
  Dataset& data_;

  mutable std::mutex mu_;
  Faults faults_;
  std::uint64_t api_calls_ = 0;
  std::uint64_t serial_ = 0;  // for minted tokens, codes, cursor and job ids
  std::map<std::string, std::uint64_t> access_tokens_;  // token -> calls served
  std::map<std::string, std::uint64_t> token_users_;    // token -> user row (absent: 0)
  Users users_;
  std::map<std::string, bool> refresh_tokens_;         // token -> still valid
  struct AuthCode {
    std::string redirect_uri, challenge, method;
  };
  std::map<std::string, AuthCode> codes_;
  std::map<std::string, Cursor> cursors_;
  std::map<std::string, BulkJob> jobs_;
  std::map<std::string, ReportInstance> report_instances_;
  std::map<std::string, std::uint64_t> stats_;
  struct LoggedRequest {
    std::string method, path;
    int status;
  };
  std::vector<LoggedRequest> requests_;
  std::string initial_access_token_;
  std::string initial_refresh_token_;
};

}  // namespace reportd::sim
