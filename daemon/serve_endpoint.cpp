#include "daemon/serve_endpoint.hpp"

#include <boost/asio/co_spawn.hpp>

#include "daemon/log.hpp"
#include "daemon/oauth_connect.hpp"
#include "daemon/serve.hpp"

namespace asio = boost::asio;

namespace reportd::daemon {
namespace {

// Three missed heartbeats (plus a store wait) before /healthz says stalled.
constexpr auto kStaleAfter = std::chrono::milliseconds(4 * kHeartbeatMs);
constexpr auto kCallbackTimeout = std::chrono::seconds(90);

// A metrics step that throws is a bug; it must not take the daemon down.
void log_failure(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    log::err("metrics.failed", {{"error", ex.what()}});
  }
}

struct StoreSnapshot {
  std::int64_t schedules_active = 0;
  std::int64_t schedules_paused = 0;
  std::map<std::string, std::int64_t> connections_by_status;
  std::map<std::int64_t, std::string> connection_names;
};

Result<StoreSnapshot> read_snapshot(store::Store& s) {
  StoreSnapshot out;
  auto schedules = s.list_schedules();
  if (!schedules.ok()) return std::move(schedules).status();
  for (const store::Schedule& sc : *schedules) {
    ++(sc.paused ? out.schedules_paused : out.schedules_active);
  }
  auto conns = s.list_connections();
  if (!conns.ok()) return std::move(conns).status();
  // Every status, 0 included, so an alert on org-mismatch has a series.
  for (auto st : {store::ConnectionStatus::kActive, store::ConnectionStatus::kNeedsReauth,
                  store::ConnectionStatus::kOrgMismatch}) {
    out.connections_by_status[std::string(store::to_string(st))] = 0;
  }
  for (const store::Connection& c : *conns) {
    ++out.connections_by_status[std::string(store::to_string(c.status))];
    out.connection_names[c.id] = c.name;
  }
  return out;
}

}  // namespace

ServeEndpoint::ServeEndpoint(asio::io_context& io, Runtime& runtime, const Config& config)
    : io_(io),
      runtime_(runtime),
      metrics_(REPORTD_VERSION),
      health_(kStaleAfter) {
  transport_.ca_file = config.salesforce_ca_file;
  transport_.request_timeout = std::chrono::seconds(config.request_timeout_s);
}

ServeEndpoint::~ServeEndpoint() {
  closing_ = true;
  if (http_) http_->stop();
  if (retiring_.joinable()) retiring_.join();
}

EndpointRoutes ServeEndpoint::routes() {
  EndpointRoutes routes;
  routes.healthz = [this] {
    HealthVerdict v = health_.check(Health::Clock::now());
    HttpReply r;
    r.status = v.ok ? 200 : 503;
    r.body = (v.ok ? "ok: " : "unhealthy: ") + v.reason + "\n";
    return r;
  };
  routes.metrics = [this] {
    const render::ScratchBudget& b = runtime_.scratch_budget;  // thread-safe
    metrics_.scratch(b.used(), b.high_water(), b.cap());
    HttpReply r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics_.render();
    return r;
  };
  routes.oauth_callback = [this](CallbackQuery q) {
    CallbackServices services;
    services.store = &runtime_.store_thread;
    services.vault = &runtime_.vault;
    services.transport = transport_;
    CallbackOutcome o = run_callback(io_, services, std::move(q), closing_, kCallbackTimeout);
    if (o.connected) {
      log::notice("oauth.connected", {{"connection", o.connection}, {"org", o.org_id}});
    } else {
      log::warning("oauth.refused", {{"connection", o.connection}, {"error", o.error}});
    }
    return o.page;
  };
  return routes;
}

// Binds `listen` with a new server; on success it replaces the current one,
// which stops on a thread of its own. On failure nothing changes.
Status ServeEndpoint::bind(const std::string& listen) {
  auto address = parse_listen(listen);
  if (!address.ok()) return address.status();
  auto next = std::make_unique<HttpEndpoint>(routes());
  Status st = next->start(*address);
  if (!st.ok()) return st;
  if (http_) {
    if (retiring_.joinable()) retiring_.join();
    retiring_ = std::thread([old = std::move(http_)]() mutable { old.reset(); });
  }
  http_ = std::move(next);
  listen_ = listen;
  log::info("http.listen", {{"listen", address->host + ":" + std::to_string(http_->port())}});
  return {};
}

void ServeEndpoint::start(const std::string& listen) {
  if (Status st = bind(listen); !st.ok()) {
    log::err("http.listen_failed", {{"listen", listen}, {"error", st.message()}});
  }
}

Status ServeEndpoint::apply(const Config& config) { return rebind(config.http_listen); }

Status ServeEndpoint::rebind(const std::string& listen) {
  if (http_ && listen == listen_) return {};
  Status st = bind(listen);
  if (st.ok() || !http_) return st;
  // Linux refuses a wildcard bind of a port that a specific address of
  // ours still listens on (127.0.0.1:P -> 0.0.0.0:P): close ours, try
  // again, and go back to the old address if the new one still fails.
  auto old = parse_listen(listen_);
  auto next = parse_listen(listen);
  if (!old.ok() || !next.ok() || old->port != next->port || old->port == 0) return st;
  const std::string previous = listen_;
  http_->stop();
  http_.reset();
  Status again = bind(listen);
  if (again.ok()) return again;
  if (Status back = bind(previous); !back.ok()) {
    return std::move(again).with_context("and the previous address " + previous +
                                          " could not be bound again (" + back.message() + ")");
  }
  return again;
}

void ServeEndpoint::stopping() {
  closing_ = true;
  health_.stopping();
}

void ServeEndpoint::heartbeat(const Status& store_write) {
  health_.beat(Health::Clock::now(), store_write);
  metrics_.runs_active(static_cast<std::int64_t>(runtime_.pipeline.active()));
  if (sampling_) return;
  sampling_ = true;
  asio::co_spawn(io_, sample(), log_failure);
}

void ServeEndpoint::cluster(const std::string& self, const std::vector<store::Node>& nodes,
                            std::size_t held) {
  const std::int64_t now = runtime_.clock.wall_now().time_since_epoch().count();
  std::vector<NodeSample> samples;
  for (const store::Node& n : nodes) {
    samples.push_back({n.id, n.host, static_cast<double>(now - n.heartbeat_at_ms) / 1000.0,
                       n.runs_held, n.id == self});
  }
  metrics_.nodes(std::move(samples), static_cast<std::int64_t>(held));
}

void ServeEndpoint::on_finished(const jobs::FinishedRun& finished) {
  for (const auto& [by, count] : finished.deliveries) {
    const std::string channel(store::to_string(by));
    if (count.sent > 0) metrics_.delivery(channel, "sent", static_cast<std::uint64_t>(count.sent));
    if (count.failed > 0) {
      metrics_.delivery(channel, "failed", static_cast<std::uint64_t>(count.failed));
    }
    if (count.refused > 0) {
      metrics_.delivery(channel, "refused", static_cast<std::uint64_t>(count.refused));
    }
  }
  metrics_.run_finished(run_sample(finished.run));
}

void ServeEndpoint::run_recorded(const store::Run& run) { metrics_.run_finished(run_sample(run)); }

RunSample run_sample(const store::Run& r) {
  RunSample sample;
  sample.state = std::string(store::to_string(r.state));
  sample.rows = r.rows;
  sample.bytes = r.bytes;
  if (r.started_at_ms > 0) {
    if (r.finished_at_ms >= r.started_at_ms) {
      sample.duration_s = static_cast<double>(r.finished_at_ms - r.started_at_ms) / 1000.0;
    }
    sample.lag_s = std::max(0.0, static_cast<double>(r.started_at_ms - r.nominal_s * 1000) / 1000.0);
  }
  return sample;
}

asio::awaitable<void> ServeEndpoint::sample() {
  auto snapshot = co_await runtime_.store_thread.run(&read_snapshot);
  sampling_ = false;
  if (!snapshot.ok()) co_return;  // the heartbeat reports store failures
  metrics_.schedules(snapshot->schedules_active, snapshot->schedules_paused);
  metrics_.connections(snapshot->connections_by_status);
  connection_names_ = std::move(snapshot->connection_names);
  for (const jobs::OrgClients::ClientStats& c : runtime_.clients.stats()) {
    auto name = connection_names_.find(c.connection_id);
    if (name == connection_names_.end()) continue;  // removed since
    OrgSample o;
    o.connection = name->second;
    o.token_requests = c.token_requests;
    o.token_failures = c.token_failures;
    o.user_token_requests = c.user_token_requests;
    o.user_token_failures = c.user_token_failures;
    o.user_tokens_cached = c.user_tokens_cached;
    if (c.api_usage) {
      o.api_used = c.api_usage->used;
      o.api_limit = c.api_usage->limit;
    }
    metrics_.org(o);
  }
}

}  // namespace reportd::daemon
