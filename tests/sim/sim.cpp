#include "sim.hpp"

#include "http_util.hpp"

namespace reportd::sim {

Sim::Sim(const Options& opts, const TlsMaterial& tls, OrgInfo org, Dataset& data)
    : opts_(opts), tls_(tls), org_(std::move(org)), data_(data), faults_(opts.faults),
      users_(data.config()) {
  initial_access_token_ = mint_access_token();
  ++serial_;
  initial_refresh_token_ = first_refresh_token(org_.org_id);
  refresh_tokens_[initial_refresh_token_] = true;
}

std::string Sim::first_refresh_token(const std::string& org_id) {
  return "5Aep861SimRefresh" + org_id + "x2";
}

void Sim::install_routed(httplib::Server& svr) {
  table_ = std::make_unique<RouteTable>();
  install_routes(svr);
}

void Sim::install_routes(httplib::Server& svr) {
  install_oauth(svr);
  install_rest(svr);
  install_query(svr);
  install_sobjects(svr);
  install_reports(svr);
  install_bulk(svr);
  install_hooks(svr);
}

bool Sim::dispatch(const httplib::Request& req, httplib::Response& res) {
  if (!table_->dispatch(req, res)) return false;
  log_request(req, res);
  return true;
}

void Sim::install(httplib::Server& svr) {
  install_routes(svr);
  svr.set_logger([this](const httplib::Request& req, const httplib::Response& res) { log_request(req, res); });
  install_error_handlers(svr);
}

void Sim::install_error_handlers(httplib::Server& svr) {
  svr.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.status == 404 && res.body.empty())
      send_error(req, res, 404, "NOT_FOUND", "The requested resource does not exist");
  });
  svr.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    }
    send_error(req, res, 500, "UNKNOWN_EXCEPTION", "reportd-sfsim: " + what);
  });
}

}  // namespace reportd::sim
