#pragma once
// ServeEndpoint: `reportd serve`'s HTTP endpoint and what feeds it. The event
// loop reports heartbeats, and finished runs with their delivery counts (it
// is one of the pipeline's RunObservers); this reads what else it needs
// (schedule and connection counts) through the store thread and publishes
// it into Metrics and Health, which httplib's threads read. OAuth callbacks
// are completed on the event loop. Lives in the daemon's frame; every call
// except the HTTP handlers is on the loop.

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "daemon/config.hpp"
#include "daemon/health.hpp"
#include "daemon/http_endpoint.hpp"
#include "daemon/metrics.hpp"
#include "daemon/runtime.hpp"
#include "store/leases.hpp"
#include "store/records.hpp"

namespace reportd::daemon {

class ServeEndpoint final : public jobs::RunObserver {
 public:
  ServeEndpoint(boost::asio::io_context& io, Runtime& runtime, const Config& config);
  ~ServeEndpoint();

  // Binds [http] listen. A failure is logged, not fatal: reports matter more
  // than the endpoint, and /healthz being unreachable is itself the alarm.
  void start(const std::string& listen);
  // SIGHUP: moves the endpoint to a changed [http] listen (the one key it
  // takes from a reloaded config). The new address is bound before the old
  // listener closes; when it cannot be bound the endpoint keeps serving
  // where it was and the error says why. An unchanged address rebinds
  // nothing (unless nothing is bound: then it tries again). Returns whether
  // it moved, stayed, or failed.
  Status apply(const Config& config);
  // The daemon is stopping: /healthz answers 503, callbacks are refused.
  void stopping();

  // After each heartbeat, with how its store write went.
  void heartbeat(const Status& store_write);
  // After each cluster beat (cluster.hpp): the store's nodes and the
  // leases this node (`self`) holds, for /metrics.
  void cluster(const std::string& self, const std::vector<store::Node>& nodes, std::size_t held);
  // jobs::RunObserver: a run reached a final state; counts it and the
  // deliveries it finished.
  void on_finished(const jobs::FinishedRun& finished) override;
  // The scheduler recorded an occurrence final at once (missed, skipped).
  void run_recorded(const store::Run& run);

  Metrics& metrics() { return metrics_; }

 private:
  EndpointRoutes routes();
  Status bind(const std::string& listen);
  Status rebind(const std::string& listen);
  boost::asio::awaitable<void> sample();

  boost::asio::io_context& io_;
  Runtime& runtime_;
  salesforce::TransportOptions transport_;
  Metrics metrics_;
  Health health_;
  std::atomic<bool> closing_{false};
  bool sampling_ = false;
  std::map<std::int64_t, std::string> connection_names_;  // by id, from the last sample
  std::string listen_;                   // the address bound, as configured
  std::unique_ptr<HttpEndpoint> http_;   // null until bound
  // Stops a listener replaced by rebind() off the event loop: its threads
  // may be finishing an OAuth callback, which needs the loop.
  std::thread retiring_;
};

// What Metrics counts of a run's row in a final state: state, rows, bytes,
// and duration and lag when it started.
RunSample run_sample(const store::Run& run);

}  // namespace reportd::daemon
