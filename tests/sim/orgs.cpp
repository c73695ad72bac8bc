#include "orgs.hpp"

#include <cstdio>

#include "http_util.hpp"
#include "ids.hpp"

namespace reportd::sim {

struct OrgSet::Org {
  explicit Org(GenConfig cfg) : data(std::move(cfg), store) {}
  Store store;
  Dataset data;
  std::unique_ptr<Sim> sim;
};

OrgSet::OrgSet(const Options& opts, const TlsMaterial& tls, int port)
    : opts_(opts), tls_(tls), port_(port) {}

OrgSet::~OrgSet() = default;

std::string OrgSet::host_of(std::uint64_t k) {
  return "127.100." + std::to_string(k / 250) + "." + std::to_string(k % 250 + 1);
}

std::optional<std::uint64_t> OrgSet::org_at(const std::string& local_addr) const {
  unsigned a = 0, b = 0, c = 0, d = 0;
  char tail = 0;
  if (std::sscanf(local_addr.c_str(), "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4) return std::nullopt;
  if (a != 127 || b != 100 || d == 0 || d > 250) return std::nullopt;
  const std::uint64_t k = std::uint64_t{c} * 250 + d - 1;
  if (k < 1 || k > opts_.orgs) return std::nullopt;
  return k;
}

std::vector<std::string> OrgSet::hosts() const {
  std::vector<std::string> out;
  for (std::uint64_t k = 1; k <= opts_.orgs; ++k) out.push_back(host_of(k));
  return out;
}

OrgInfo OrgSet::info(std::uint64_t k) const {
  const std::string n = std::to_string(k);
  return OrgInfo{"https://" + host_of(k) + ":" + std::to_string(port_), make_id("00D", k), make_id("005", k),
                 "integration@org" + n + ".reportd-sim.example", "sim-password-" + n,
                 "3MVG9SimReportdConsumerKey.sfsim.org" + n, "SimConsumerSecret0123456789org" + n,
                 "http://localhost:1717/OauthRedirect"};
}

GenConfig OrgSet::gen(std::uint64_t k) const {
  GenConfig g;
  g.accounts = opts_.rows_account;
  g.contacts = opts_.rows_contact;
  g.opportunities = opts_.rows_opportunity;
  // "-k-": no org's marker is a prefix of another's (MARK-1- / MARK-12-).
  if (!opts_.marker.empty()) g.marker = opts_.marker + "-" + std::to_string(k) + "-";
  g.username = info(k).username;
  g.org_number = k;
  return g;
}

Sim& OrgSet::org(std::uint64_t k) {
  std::lock_guard lock(mu_);
  auto& slot = orgs_[k];
  if (!slot) {
    auto o = std::make_unique<Org>(gen(k));
    o->sim = std::make_unique<Sim>(opts_, tls_, info(k), o->data);
    o->sim->install_routed(*svr_);
    slot = std::move(o);
  }
  return *slot->sim;
}

void OrgSet::install(httplib::Server& svr) {
  svr_ = &svr;
  httplib::Server::Handler route = [this](const httplib::Request& req, httplib::Response& res) {
    if (req.remote_addr.rfind("127.", 0) != 0) {
      res.status = 403;
      return;
    }
    auto k = org_at(req.local_addr);
    if (!k || !org(*k).dispatch(req, res))
      send_error(req, res, 404, "NOT_FOUND", "The requested resource does not exist");
  };
  svr.Get(".*", route);
  svr.Post(".*", route);
  svr.Patch(".*", route);
  svr.Put(".*", route);
  svr.Delete(".*", route);
  Sim::install_error_handlers(svr);
}

std::string OrgSet::orgs_json(const std::string& ca_file) const {
  std::string out = "{\n  \"ca_file\": " + jstr(ca_file) + ",\n  \"orgs\": [\n";
  for (std::uint64_t k = 1; k <= opts_.orgs; ++k) {
    const OrgInfo o = info(k);
    out += std::string(k > 1 ? ",\n" : "") + "    {\"number\": " + std::to_string(k) +
           ", \"login_url\": " + jstr(o.base_url) + ", \"org_id\": " + jstr(o.org_id) +
           ", \"user_id\": " + jstr(o.user_id) + ", \"username\": " + jstr(o.username) +
           ", \"password\": " + jstr(o.password) + ", \"client_id\": " + jstr(o.client_id) +
           ", \"client_secret\": " + jstr(o.client_secret) +
           ", \"refresh_token\": " + jstr(Sim::first_refresh_token(o.org_id)) + "}";
  }
  return out + "\n  ]\n}\n";
}

}  // namespace reportd::sim
