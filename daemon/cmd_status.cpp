// reportd status
#include <signal.h>

#include <boost/json.hpp>

#include <cerrno>
#include <ostream>

#include "daemon/commands.hpp"
#include "daemon/serve.hpp"
#include "daemon/time_text.hpp"
#include "store/leases.hpp"
#include "store/migrations.hpp"

namespace reportd::daemon {
namespace {

bool process_alive(std::int64_t pid) {
  return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
}

// The nodes that serve the store (DESIGN.md §4.10), for text and JSON. A
// node is "alive" while its last heartbeat is younger than its lease.
struct NodesReport {
  std::string text;  // one line a node, indented; empty without leases
  boost::json::array json;
};

NodesReport nodes_report(store::Store& st, std::int64_t now, std::int64_t lease_ms) {
  NodesReport out;
  store::Leases* leases = store::leases_of(st);
  if (leases == nullptr) return out;
  auto nodes = leases->list_nodes();
  if (!nodes.ok()) {
    out.text = "    (cannot read nodes: " + nodes.status().message() + ")\n";
    return out;
  }
  for (const store::Node& n : *nodes) {
    const bool alive = n.status != "stopped" && now - n.heartbeat_at_ms < lease_ms;
    const std::string state = alive ? n.status : (n.status == "stopped" ? "stopped" : "silent");
    out.text += "    " + n.id + "  " + n.host + "  pid " + std::to_string(n.pid) + "  " + state +
                "  last heartbeat " + human_duration(now - n.heartbeat_at_ms) + " ago  " +
                std::to_string(n.runs_held) + " run(s) held\n";
    out.json.push_back(boost::json::object{{"id", n.id},
                                           {"host", n.host},
                                           {"pid", n.pid},
                                           {"state", state},
                                           {"started_at", iso_utc(n.started_at_ms)},
                                           {"last_heartbeat", iso_utc(n.heartbeat_at_ms)},
                                           {"runs_held", n.runs_held}});
  }
  return out;
}

}  // namespace

int cmd_status(Context& ctx) {
  Result<Config> config = ctx.load_config();
  if (!config.ok()) return ctx.fail(config.status());
  auto opened = ctx.open_store(*config);
  if (!opened.ok()) return ctx.fail(opened.status());
  store::Store& st = **opened;
  const std::string database = ctx.store_location(*config);
  auto daemon = st.get_daemon_state();
  auto conns = st.list_connections();
  auto scheds = st.list_schedules();
  if (!daemon.ok() || !conns.ok() || !scheds.ok()) {
    return ctx.fail(!daemon.ok() ? daemon.status() : !conns.ok() ? conns.status() : scheds.status());
  }

  std::int64_t now = now_ms();
  bool running = false;
  std::string daemon_text = "never started on this state directory";
  if (daemon->has_value()) {
    const store::DaemonState& d = daemon->value();
    bool fresh = now - d.heartbeat_at_ms < 3 * kHeartbeatMs;
    bool alive = fresh && process_alive(d.pid);
    // "starting": alive, recovering interrupted runs before the scheduler starts.
    running = alive && (d.status == "running" || d.status == "starting");
    if (running) {
      daemon_text = d.status + " (pid " + std::to_string(d.pid) + ", version " + d.version +
                    ", up " + human_duration(now - d.started_at_ms) + ", last heartbeat " +
                    human_duration(now - d.heartbeat_at_ms) + " ago)";
    } else {
      daemon_text = "not running (last seen " + iso_utc(d.heartbeat_at_ms) + ", " + d.status + ")";
    }
  }
  std::int64_t reauth = 0, mismatch = 0, paused = 0;
  for (const auto& c : *conns) {
    reauth += c.status == store::ConnectionStatus::kNeedsReauth;
    mismatch += c.status == store::ConnectionStatus::kOrgMismatch;
  }
  for (const auto& s : *scheds) paused += s.paused;
  const store::RunFilter recent{std::nullopt, std::nullopt, 1000};
  auto runs = st.list_runs(recent);
  if (!runs.ok()) return ctx.fail(runs.status());
  std::map<std::string, std::int64_t> by_state;
  for (const auto& r : *runs) ++by_state[std::string(store::to_string(r.state))];
  const NodesReport nodes = nodes_report(st, now, config->store_lease_seconds * 1000);

  if (ctx.json()) {
    boost::json::object runs_obj;
    for (const auto& [k, v] : by_state) runs_obj[k] = v;
    boost::json::object o{{"state_dir", ctx.state_dir()},
                          {"database", database},
                          {"schema_version", store::schema_version()},
                          {"daemon_running", running},
                          {"daemon", daemon_text},
                          {"connections", conns->size()},
                          {"connections_needing_reauth", reauth},
                          {"connections_org_mismatch", mismatch},
                          {"schedules", scheds->size()},
                          {"schedules_paused", paused},
                          {"recent_runs", runs_obj}, {"nodes", nodes.json}};
    ctx.out << boost::json::serialize(o) << "\n";
    return 0;
  }
  ctx.out << "reportd " << REPORTD_VERSION << "\n"
          << "  daemon:      " << daemon_text << "\n"
          << "  state dir:   " << ctx.state_dir() << "\n"
          << "  database:    " << database << " (schema " << store::schema_version() << ")\n"
          << "  connections: " << conns->size();
  if (reauth) ctx.out << " (" << reauth << " need re-authorization)";
  if (mismatch) ctx.out << " (" << mismatch << " org-mismatch: refused a token of another org)";
  ctx.out << "\n  schedules:   " << scheds->size();
  if (paused) ctx.out << " (" << paused << " paused)";
  ctx.out << "\n  recent runs: ";
  if (by_state.empty()) ctx.out << "none";
  bool first = true;
  for (const auto& [k, v] : by_state) {
    ctx.out << (first ? "" : ", ") << v << " " << k;
    first = false;
  }
  ctx.out << "\n  nodes:       " << nodes.json.size() << "\n" << nodes.text;
  return 0;
}

}  // namespace reportd::daemon
