#include "daemon/metrics.hpp"

#include <tuple>

namespace reportd::daemon {
namespace {

using prom::Family;
using prom::Sample;
using prom::Type;

// Run durations: a tiny query takes about a second, a large Bulk export an
// hour (the default run deadline is 30 minutes).
const std::vector<double> kDurationBounds = {1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600};
// Scheduler lag: timer slack is milliseconds; splay, limits and catch-up
// after downtime make minutes or hours.
const std::vector<double> kLagBounds = {0.05, 0.1, 0.25, 0.5, 1,   2.5, 5,
                                        10,   30,  60,   300, 900, 3600};

Family family(std::string name, std::string help, Type type) {
  Family f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

Sample sample(prom::Labels labels, double value) {
  Sample s;
  s.labels = std::move(labels);
  s.value = value;
  return s;
}

Family single(std::string name, std::string help, Type type, double value) {
  Family f = family(std::move(name), std::move(help), type);
  f.samples.push_back(sample({}, value));
  return f;
}

Family histogram(std::string name, std::string help, const prom::Histogram& h) {
  Family f = family(std::move(name), std::move(help), Type::kHistogram);
  Sample s;
  s.histogram = h;
  f.samples.push_back(std::move(s));
  return f;
}

// Token requests and API usage, by connection (Metrics::OrgCounters).
template <class Orgs>
void add_org_families(std::vector<Family>& out, const Orgs& orgs) {
  Family tokens =
      family("reportd_token_refreshes_total",
             "OAuth token requests (refresh_token or JWT grant), by connection.", Type::kCounter);
  Family token_failures =
      family("reportd_token_refresh_failures_total",
             "OAuth token requests that failed, by connection.", Type::kCounter);
  Family used = family("reportd_salesforce_api_usage",
                       "API requests used in the org's rolling 24 h allocation "
                       "(Sforce-Limit-Info), by connection.",
                       Type::kGauge);
  Family limit = family("reportd_salesforce_api_limit",
                        "The org's 24 h API request allocation (Sforce-Limit-Info), by connection.",
                        Type::kGauge);
  Family user_tokens = family("reportd_user_token_requests_total",
                              "JWT bearer grants for users whose access a run used (run as), "
                              "by connection.",
                              Type::kCounter);
  Family user_failures = family("reportd_user_token_failures_total",
                                "JWT bearer grants for users that Salesforce refused, by connection.",
                                Type::kCounter);
  Family user_cached = family("reportd_user_tokens_cached",
                              "User access tokens held in memory now, by connection.", Type::kGauge);
  for (const auto& [name, o] : orgs) {
    prom::Labels labels = {{"connection", name}};
    user_tokens.samples.push_back(sample(labels, static_cast<double>(o.user_requests)));
    user_failures.samples.push_back(sample(labels, static_cast<double>(o.user_failures)));
    user_cached.samples.push_back(sample(labels, static_cast<double>(o.user_cached)));
    tokens.samples.push_back(
        sample(labels, static_cast<double>(o.requests_base + o.requests_last)));
    token_failures.samples.push_back(
        sample(labels, static_cast<double>(o.failures_base + o.failures_last)));
    if (o.api_used) used.samples.push_back(sample(labels, static_cast<double>(*o.api_used)));
    if (o.api_limit) limit.samples.push_back(sample(labels, static_cast<double>(*o.api_limit)));
  }
  out.push_back(std::move(tokens));
  out.push_back(std::move(token_failures));
  out.push_back(std::move(used));
  out.push_back(std::move(limit));
  out.push_back(std::move(user_tokens));
  out.push_back(std::move(user_failures));
  out.push_back(std::move(user_cached));
}

// Per-node gauges (DESIGN.md §4.10): every node of the store, as this one
// read it at its last heartbeat, and the leases this one holds.
void add_node_families(std::vector<Family>& out, const std::vector<NodeSample>& nodes,
                       std::optional<std::int64_t> leases_held) {
  if (!leases_held) return;
  out.push_back(single("reportd_node_leases_held", "Runs whose lease this node holds.",
                       Type::kGauge, static_cast<double>(*leases_held)));
  Family held = family("reportd_cluster_node_runs_held",
                       "Unfinished runs whose lease names the node, by node.", Type::kGauge);
  Family age = family("reportd_cluster_node_heartbeat_age_seconds",
                      "Seconds since the node's last heartbeat, by node.", Type::kGauge);
  for (const NodeSample& n : nodes) {
    prom::Labels labels = {{"node", n.id}, {"host", n.host}, {"self", n.self ? "1" : "0"}};
    held.samples.push_back(sample(labels, static_cast<double>(n.runs_held)));
    age.samples.push_back(sample(labels, n.heartbeat_age_s));
  }
  out.push_back(std::move(held));
  out.push_back(std::move(age));
}

}  // namespace

Metrics::Metrics(std::string version)
    : version_(std::move(version)), duration_(kDurationBounds), lag_(kLagBounds) {
  // Every final state and delivery outcome exists from the start, so a
  // rate() over them works before the first run.
  for (const char* s : {"succeeded", "failed", "skipped", "missed", "cancelled"}) runs_[s] = 0;
  for (const char* c : {"smtp", "files"}) {
    for (const char* r : {"sent", "failed"}) deliveries_[{c, r}] = 0;
  }
}

void Metrics::run_finished(const RunSample& run) {
  std::lock_guard lock(mu_);
  ++runs_[run.state];
  if (run.duration_s) duration_.observe(*run.duration_s);
  if (run.lag_s) lag_.observe(*run.lag_s);
  if (run.rows > 0) rows_ += static_cast<std::uint64_t>(run.rows);
  if (run.bytes > 0) bytes_ += static_cast<std::uint64_t>(run.bytes);
}

void Metrics::delivery(const std::string& channel, const std::string& result, std::uint64_t n) {
  std::lock_guard lock(mu_);
  deliveries_[{channel, result}] += n;
}

void Metrics::org(const OrgSample& s) {
  std::lock_guard lock(mu_);
  OrgCounters& o = orgs_[s.connection];
  if (s.token_requests < o.requests_last) o.requests_base += o.requests_last;
  o.requests_last = s.token_requests;
  if (s.token_failures < o.failures_last) o.failures_base += o.failures_last;
  o.failures_last = s.token_failures;
  if (s.api_used) o.api_used = s.api_used;
  if (s.api_limit) o.api_limit = s.api_limit;
  o.user_requests = s.user_token_requests;
  o.user_failures = s.user_token_failures;
  o.user_cached = s.user_tokens_cached;
}

void Metrics::schedules(std::int64_t active, std::int64_t paused) {
  std::lock_guard lock(mu_);
  schedules_active_ = active;
  schedules_paused_ = paused;
}

void Metrics::connections(const std::map<std::string, std::int64_t>& by_status) {
  std::lock_guard lock(mu_);
  connections_ = by_status;
}

void Metrics::runs_active(std::int64_t n) {
  std::lock_guard lock(mu_);
  runs_active_ = n;
}

void Metrics::nodes(std::vector<NodeSample> nodes, std::int64_t leases_held) {
  std::lock_guard lock(mu_);
  nodes_ = std::move(nodes);
  leases_held_ = leases_held;
}

void Metrics::scratch(std::uint64_t used, std::uint64_t high_water, std::uint64_t budget) {
  std::lock_guard lock(mu_);
  scratch_used_ = used;
  scratch_high_water_ = high_water;
  scratch_budget_ = budget;
}

std::string Metrics::render() const {
  std::vector<Family> out;
  std::lock_guard lock(mu_);

  Family build = family("reportd_build_info", "reportd's version; always 1.", Type::kGauge);
  build.samples.push_back(sample({{"version", version_}}, 1));
  out.push_back(std::move(build));

  Family runs =
      family("reportd_runs_total", "Runs that reached a final state in this process, by state.",
             Type::kCounter);
  for (const auto& [state, n] : runs_) {
    runs.samples.push_back(sample({{"state", state}}, static_cast<double>(n)));
  }
  out.push_back(std::move(runs));

  out.push_back(single("reportd_runs_active", "Runs in progress.", Type::kGauge,
                        static_cast<double>(runs_active_)));

  for (auto [name, help, value] :
       {std::tuple{"reportd_scratch_bytes", "Bytes all runs' scratch holds now.", scratch_used_},
        std::tuple{"reportd_scratch_high_water_bytes",
                   "The most bytes all runs' scratch held at once since start.", scratch_high_water_},
        std::tuple{"reportd_scratch_budget_bytes", "limits.scratch_budget_bytes.", scratch_budget_}}) {
    out.push_back(single(name, help, Type::kGauge, static_cast<double>(value)));
  }

  out.push_back(histogram("reportd_run_duration_seconds",
                          "Time from a run's start to its final state.", duration_));
  out.push_back(histogram("reportd_scheduler_lag_seconds",
                          "How late runs started: actual start minus the nominal fire time "
                          "(includes splay, waits for limits and catch-up after downtime).",
                          lag_));
  out.push_back(single("reportd_run_rows_total", "Rows that finished runs read from Salesforce.",
                       Type::kCounter, static_cast<double>(rows_)));
  out.push_back(single("reportd_run_bytes_total", "Bytes of rendered outputs of finished runs.",
                       Type::kCounter, static_cast<double>(bytes_)));

  Family deliveries =
      family("reportd_deliveries_total",
             "Deliveries that reached a final state, by channel and result.", Type::kCounter);
  for (const auto& [key, n] : deliveries_) {
    deliveries.samples.push_back(
        sample({{"channel", key.first}, {"result", key.second}}, static_cast<double>(n)));
  }
  out.push_back(std::move(deliveries));
  add_org_families(out, orgs_);
  add_node_families(out, nodes_, leases_held_);

  Family schedules = family("reportd_schedules", "Schedules, by state.", Type::kGauge);
  schedules.samples.push_back(
      sample({{"state", "active"}}, static_cast<double>(schedules_active_)));
  schedules.samples.push_back(
      sample({{"state", "paused"}}, static_cast<double>(schedules_paused_)));
  out.push_back(std::move(schedules));

  Family conns = family("reportd_connections", "Connected orgs, by status.", Type::kGauge);
  for (const auto& [status, n] : connections_) {
    conns.samples.push_back(sample({{"status", status}}, static_cast<double>(n)));
  }
  out.push_back(std::move(conns));

  return prom::render(out);
}

}  // namespace reportd::daemon
