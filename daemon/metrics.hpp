#pragma once
// Metrics: what `reportd serve` exposes on /metrics. The event loop records
// (runs, deliveries, per-org samples, schedule counts); httplib's threads
// render. One mutex guards everything, so any thread may call any method.
// Holds names, counts and durations only: never a record value or a token.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "daemon/prometheus_text.hpp"

namespace reportd::daemon {

// One finished run, as the store recorded it.
struct RunSample {
  std::string state;                 // store::to_string(RunState)
  std::optional<double> duration_s;  // finished - started, when it started
  std::optional<double> lag_s;       // started - nominal fire time
  std::int64_t rows = 0;
  std::int64_t bytes = 0;  // rendered outputs
};

// One Salesforce org's client, sampled on the event loop. Counts restart
// when the client is rebuilt; Metrics keeps the exported counters monotonic.
struct OrgSample {
  std::string connection;  // the connection's name (label), never a token
  std::uint64_t token_requests = 0;
  std::uint64_t token_failures = 0;
  std::optional<std::int64_t> api_used;  // Sforce-Limit-Info api-usage=N/M
  std::optional<std::int64_t> api_limit;
  // JWT bearer grants for users (run as), monotonic already, and the user
  // tokens held in memory now.
  std::uint64_t user_token_requests = 0;
  std::uint64_t user_token_failures = 0;
  std::uint64_t user_tokens_cached = 0;
};

// One node of the store (store::Node), as the last heartbeat read it.
struct NodeSample {
  std::string id;
  std::string host;
  double heartbeat_age_s = 0;  // at the heartbeat that read it
  std::int64_t runs_held = 0;
  bool self = false;  // this process
};

class Metrics {
 public:
  explicit Metrics(std::string version);

  void run_finished(const RunSample& run);
  // Deliveries that reached a final state: channel "smtp" | "files" |
  // "files-link" (store::to_string(DeliveryChannel)), result "sent" |
  // "failed" | "refused".
  void delivery(const std::string& channel, const std::string& result, std::uint64_t n = 1);
  void org(const OrgSample& sample);
  void schedules(std::int64_t active, std::int64_t paused);
  void connections(const std::map<std::string, std::int64_t>& by_status);
  void runs_active(std::int64_t n);
  // The scratch budget shared by all runs: held now, the most ever held, the cap.
  void scratch(std::uint64_t used, std::uint64_t high_water, std::uint64_t budget);

  // Every node of the store and the leases this one holds (daemon/cluster.hpp).
  void nodes(std::vector<NodeSample> nodes, std::int64_t leases_held);

  // The whole exposition, text format 0.0.4.
  std::string render() const;

 private:
  struct OrgCounters {
    // Exported = base + last sample; a sample below the last one means the
    // client was rebuilt, and the last value moves into base.
    std::uint64_t requests_base = 0, requests_last = 0;
    std::uint64_t failures_base = 0, failures_last = 0;
    std::optional<std::int64_t> api_used, api_limit;
    std::uint64_t user_requests = 0, user_failures = 0, user_cached = 0;
  };

  mutable std::mutex mu_;
  std::string version_;
  std::map<std::string, std::uint64_t> runs_;  // by state
  prom::Histogram duration_;
  prom::Histogram lag_;
  std::uint64_t rows_ = 0;
  std::uint64_t bytes_ = 0;
  std::map<std::pair<std::string, std::string>, std::uint64_t> deliveries_;
  std::map<std::string, OrgCounters> orgs_;
  std::int64_t schedules_active_ = 0;
  std::int64_t schedules_paused_ = 0;
  std::map<std::string, std::int64_t> connections_;
  std::int64_t runs_active_ = 0;
  std::vector<NodeSample> nodes_;
  std::optional<std::int64_t> leases_held_;  // unset: the store keeps no leases
  std::uint64_t scratch_used_ = 0, scratch_high_water_ = 0, scratch_budget_ = 0;
};

}  // namespace reportd::daemon
