#include "routes.hpp"

#include <map>
#include <mutex>

namespace reportd::sim {
namespace {

// Every org registers the same ~70 patterns: compile each once.
std::shared_ptr<const std::regex> compiled(const std::string& pattern) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const std::regex>> cache;
  std::lock_guard lock(mu);
  auto& slot = cache[pattern];
  if (!slot) slot = std::make_shared<const std::regex>(pattern);
  return slot;
}

}  // namespace

void RouteTable::add(const std::string& method, const std::string& pattern,
                     httplib::Server::Handler h) {
  routes_.push_back({method, compiled(pattern), std::move(h)});
}

bool RouteTable::dispatch(const httplib::Request& req, httplib::Response& res) const {
  for (const Route& r : routes_) {
    if (r.method != req.method) continue;
    std::smatch m;
    if (!std::regex_match(req.path, m, *r.pattern)) continue;
    // httplib hands handlers a const view of its own, mutable Request and
    // sets `matches` before the call; this does the same for the org's route.
    const_cast<httplib::Request&>(req).matches = std::move(m);
    r.handler(req, res);
    return true;
  }
  return false;
}

}  // namespace reportd::sim
