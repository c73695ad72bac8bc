#include "sim.hpp"

#include "http_util.hpp"

namespace reportd::sim {

Sim::Sim(const Options& opts, const TlsMaterial& tls, OrgInfo org, Dataset& data)
    : opts_(opts), tls_(tls), org_(std::move(org)), data_(data), faults_(opts.faults),
      users_(data.config()) {
  initial_access_token_ = mint_access_token();
  initial_refresh_token_ = "5Aep861SimRefresh" + org_.org_id + "x" + std::to_string(++serial_);
  refresh_tokens_[initial_refresh_token_] = true;
}

void Sim::install(httplib::Server& svr) {
  install_oauth(svr);
  install_rest(svr);
  install_query(svr);
  install_sobjects(svr);
  install_reports(svr);
  install_bulk(svr);
  install_hooks(svr);
  svr.set_logger([this](const httplib::Request& req, const httplib::Response& res) { log_request(req, res); });
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
