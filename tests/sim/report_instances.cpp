// Async report runs: POST …/analytics/reports/{id}/instances starts one
// (status New), the first fetch says Running, later fetches carry the
// result with attributes.type "ReportInstance" and status Success.
#include <chrono>

#include "http_util.hpp"
#include "ids.hpp"
#include "report_format.hpp"
#include "reports.hpp"
#include "sim.hpp"

namespace reportd::sim {
namespace {

std::string now_text() {
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(
                  std::chrono::system_clock::now().time_since_epoch()).count();
  return datetime_iso_z(format_datetime(secs));
}

std::string instance_json(const ReportInstance& in, const std::string& version) {
  return "{\"id\":" + jstr(in.id) + ",\"status\":" + jstr(in.status) + ",\"url\":" +
         jstr("/services/data/v" + version + "/analytics/reports/" + in.report_id + "/instances/" + in.id) +
         ",\"ownerId\":" + jstr(in.owner_id) + ",\"hasDetailRows\":" + (in.details ? "true" : "false") +
         ",\"requestDate\":" + jstr(in.requested) + ",\"completionDate\":" +
         (in.status == "Success" ? jstr(in.completed) : std::string("null")) + "}";
}

}  // namespace

SimUser Sim::requester(const ReportInstance& in) const {
  for (std::uint64_t row = 0; row < kUsers; ++row)
    if (users_.by_row(row).id == in.owner_id) return users_.by_row(row);
  return users_.by_row(0);
}

void Sim::install_report_instances(httplib::Server& svr) {
  const std::string v = R"(/services/data/v(\d+\.\d+)/analytics/reports/([0-9A-Za-z]{15,18})/instances)";
  api(svr, "POST", v + "/?", "reports.instances.create",
      [this](const httplib::Request& req, httplib::Response& res, const Caller& c) {
        std::string report = req.matches[2].str();
        if (!run_report(data_, report, false, c.version, users_.by_row(c.user)))
          return send_error(req, res, 404, "NOT_FOUND", "The requested resource does not exist");
        ReportInstance in;
        in.report_id = report;
        in.owner_id = users_.by_row(c.user).id;
        in.details = req.get_param_value("includeDetails") == "true";
        in.requested = now_text();
        {
          std::lock_guard lock(mu_);
          in.id = make_id("0LG", ++serial_);
          report_instances_[in.id] = in;
        }
        send_json(req, res, 200, instance_json(in, c.version));
      });
  api(svr, "GET", v + "/?", "reports.instances.list",
      [this](const httplib::Request& req, httplib::Response& res, const Caller& c) {
        std::string out = "[";
        std::lock_guard lock(mu_);
        for (const auto& [id, in] : report_instances_) {
          if (in.report_id != req.matches[2].str()) continue;
          out += (out.size() > 1 ? "," : "") + instance_json(in, c.version);
        }
        send_json(req, res, 200, out + "]");
      });
  api(svr, "GET", v + "/(0LG[0-9A-Za-z]{12,15})/?", "reports.instances.get",
      [this](const httplib::Request& req, httplib::Response& res, const Caller& c) {
        ReportInstance in;
        {
          std::lock_guard lock(mu_);
          auto it = report_instances_.find(req.matches[3].str());
          if (it == report_instances_.end() || it->second.report_id != req.matches[2].str())
            return send_error(req, res, 404, "NOT_FOUND", "The requested resource does not exist");
          ReportInstance& stored = it->second;
          if (stored.status == "New") {
            stored.status = "Running";
          } else if (stored.status == "Running") {
            stored.status = "Success";
            stored.completed = now_text();
          }
          in = stored;
        }
        if (in.status != "Success") {
          std::string body = instance_json(in, c.version);
          body.pop_back();
          return send_json(req, res, 200,
                           "{\"attributes\":" + body + ",\"reportId\":" + jstr(in.report_id) +
                               ",\"type\":\"ReportInstance\"}}");
        }
        // As the instance's requester sees it (their sharing).
        std::string result = *run_report(data_, in.report_id, in.details, c.version, requester(in));
        // The async result names the instance in attributes, not the report.
        auto end = result.find("},\"allData\"");
        std::string attrs = instance_json(in, c.version);
        attrs.pop_back();
        attrs += ",\"reportId\":" + jstr(in.report_id) + ",\"type\":\"ReportInstance\"}";
        send_json(req, res, 200, "{\"attributes\":" + attrs + result.substr(end + 1));
      });
}

}  // namespace reportd::sim
