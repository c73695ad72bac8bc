#include "daemon/cluster.hpp"

#include <unistd.h>

#include <algorithm>
#include <random>

#include "daemon/serve.hpp"

namespace reportd::daemon {
namespace {

constexpr int kTakeOverPerBeat = 50;  // the rest waits for the next beat
constexpr std::int64_t kForgetAfterMs = 24LL * 3600 * 1000;  // silent nodes leave `status`
// SQLite's one node (the wake socket refuses a second `serve` on a state
// directory) holds its runs' leases for this long: no other node could take
// them over, so a node slowed past its lease time (a suspended laptop, a
// loaded machine, a sped-up clock) must not fence itself out of its own runs.
constexpr std::chrono::milliseconds kUnsharedLease = std::chrono::hours(24 * 365);

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

}  // namespace

jobs::ClaimShare claim_share(const std::vector<store::Node>& nodes, const std::string& self,
                             std::int64_t live_after_ms) {
  std::vector<std::string> live{self};
  for (const store::Node& n : nodes) {
    if (n.id != self && n.status == "running" && n.heartbeat_at_ms > live_after_ms) {
      live.push_back(n.id);
    }
  }
  std::sort(live.begin(), live.end());
  const auto at = std::find(live.begin(), live.end(), self);
  return jobs::ClaimShare{static_cast<int>(at - live.begin()), static_cast<int>(live.size())};
}

std::string new_node_id() {
  std::random_device rd;
  std::uniform_int_distribution<std::uint64_t> any;
  const std::uint64_t v = any(rd);
  static const char kHex[] = "0123456789abcdef";
  std::string id(16, '0');
  for (int i = 0; i < 16; ++i) id[static_cast<std::size_t>(i)] = kHex[(v >> (4 * i)) & 0xf];
  return id;
}

Cluster::Cluster(store::Store& store, std::chrono::milliseconds lease,
                 std::function<std::int64_t()> now_ms)
    : store_(store), lease_(lease), now_ms_(std::move(now_ms)) {
  self_.id = new_node_id();
  self_.host = host_name();
  self_.pid = ::getpid();
  self_.status = "starting";
  if (store::Leases* leases = store::leases_of(store)) {
    shared_ = leases->shared();
    if (!shared_) lease_ = kUnsharedLease;
    leased_.emplace(store, *leases, store::LeaseOptions{self_.id, lease_, now_ms_, {}});
  }
}

std::chrono::milliseconds Cluster::interval() const {
  return std::min(std::chrono::milliseconds(kHeartbeatMs), lease_ / 3);
}

Result<ClusterBeat> Cluster::beat(store::Store& on_thread, const std::string& status,
                                  bool starting) {
  ClusterBeat out;
  if (!leased_) return out;
  const std::int64_t now = now_ms_();
  if (self_.started_at_ms == 0) self_.started_at_ms = now;
  self_.heartbeat_at_ms = now;
  self_.status = status;
  store::Leases& leases = leased_->leases();
  if (Status st = leases.put_node(self_, now - kForgetAfterMs); !st.ok()) return st;
  auto lost = leased_->renew();
  if (!lost.ok()) return lost.status();
  out.lost = std::move(lost).value();
  auto nodes = leases.list_nodes();
  if (!nodes.ok()) return nodes.status();
  out.nodes = std::move(nodes).value();
  // Live: beat within the last three heartbeats. A node silent longer (dead,
  // paused) owns nothing more; until then its share is claimed late.
  if (leases.shared()) out.share = claim_share(out.nodes, self_.id, now - 3 * interval().count());
  if (status == "running") {
    if (Status st = take(on_thread, starting && !leases.shared(), out); !st.ok()) return st;
  }
  out.held = leased_->held();
  return out;
}

Result<ClusterBeat> Cluster::take_over(store::Store& on_thread) {
  ClusterBeat out;
  if (!leased_ || !shared_) return out;
  if (Status st = take(on_thread, false, out); !st.ok()) return st;
  out.held = leased_->held();
  return out;
}

Status Cluster::take(store::Store& on_thread, bool all, ClusterBeat& out) {
  auto taken = leased_->take_over(all, kTakeOverPerBeat);
  if (!taken.ok()) return taken.status();
  for (const store::Lease& l : *taken) {
    auto sched = on_thread.get_schedule(l.schedule_id);
    const std::int64_t org = sched.ok() ? sched->connection_id : 0;
    jobs::Occurrence o{l.schedule_id, org, date::sys_seconds(std::chrono::seconds(l.nominal_s))};
    out.taken.push_back({o, l.run_id});
  }
  if (!shared_) return Status();  // one node: nothing of another's to wait for
  // Never a failure once runs were taken (they must be launched): without
  // it the next beat looks again.
  if (auto next = leased_->next_expiry(); next.ok()) out.expiries = *next;
  return Status();
}

std::optional<std::chrono::steady_clock::time_point> take_over_at(
    const store::Expiries& e, std::int64_t wall_ms, std::chrono::steady_clock::time_point now,
    std::chrono::steady_clock::time_point last, std::chrono::milliseconds floor,
    std::int64_t margin_ms) {
  std::optional<std::chrono::steady_clock::time_point> at;
  if (e.upcoming) {
    at = now +
         std::chrono::milliseconds(std::max<std::int64_t>(0, *e.upcoming - wall_ms + margin_ms));
  }
  if (e.overdue) {
    const auto again = std::max(now, last + floor);
    if (!at || again < *at) at = again;
  }
  return at;
}

Status Cluster::release(std::int64_t run_id) {
  return leased_ ? leased_->release(run_id) : Status();
}

Result<std::map<std::int64_t, salesforce::ApiUsage>> exchange_api_usage(
    store::Store& db, const std::map<std::int64_t, salesforce::ApiUsage>& seen,
    std::int64_t now_ms, ConnectionOrgs& orgs) {
  bool read = orgs.stale.exchange(false);
  for (const auto& [id, usage] : seen) {
    auto known = orgs.org_of.find(id);
    read = read || known == orgs.org_of.end() || known->second.starts_with("connection:");
  }
  if (read) {
    auto connections = db.list_connections();
    if (!connections.ok()) {
      orgs.stale = true;
      return connections.status();
    }
    orgs.org_of.clear();
    for (const store::Connection& c : *connections) {
      orgs.org_of[c.id] = c.org_id.empty() ? "connection:" + std::to_string(c.id) : c.org_id;
    }
  }
  const std::map<std::int64_t, std::string>& org_of = orgs.org_of;
  Status put = db.transaction([&](store::Store& tx) -> Status {
    for (const auto& [id, usage] : seen) {
      auto org = org_of.find(id);
      if (org == org_of.end()) continue;  // removed meanwhile
      if (Status st = tx.put_api_usage({org->second, usage.used, usage.limit, now_ms}); !st.ok()) {
        return st;
      }
    }
    return Status();
  });
  if (!put.ok()) return put;
  auto rows = db.list_api_usage();
  if (!rows.ok()) return rows.status();
  std::map<std::string, salesforce::ApiUsage> by_org;
  for (const store::OrgApiUsage& u : *rows) by_org[u.org] = {u.used, u.limit};
  std::map<std::int64_t, salesforce::ApiUsage> out;
  for (const auto& [id, org] : org_of) {
    if (auto it = by_org.find(org); it != by_org.end()) out[id] = it->second;
  }
  return out;
}

}  // namespace reportd::daemon
