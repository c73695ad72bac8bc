// A route table of one org when one simulator serves many (orgs.hpp): the
// same method + path-regex dispatch httplib does, but kept per org, with each
// distinct pattern compiled once for all orgs.
#pragma once

#include <httplib.h>

#include <memory>
#include <regex>
#include <string>
#include <vector>

namespace reportd::sim {

class RouteTable {
 public:
  /// Adds a route; `pattern` is a regex over the whole path, as httplib's.
  void add(const std::string& method, const std::string& pattern, httplib::Server::Handler h);
  /// Runs the first route whose method and pattern match, with req.matches
  /// set as httplib sets them. False when none matched.
  bool dispatch(const httplib::Request& req, httplib::Response& res) const;

 private:
  struct Route {
    std::string method;
    std::shared_ptr<const std::regex> pattern;
    httplib::Server::Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace reportd::sim
