// reportd connections set NAME --allowed-domains LIST (the --jwt-* options:
// cmd_connections_jwt.cpp)
#include <ostream>

#include "daemon/commands.hpp"
#include "daemon/runtime.hpp"
#include "jobs/deliver/recipients.hpp"
#include "jobs/schedule_check.hpp"

namespace reportd::daemon {
namespace {

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& d : items) out += (out.empty() ? "" : ", ") + d;
  return out.empty() ? "none" : out;
}

// Why `s` may no longer mail its recipients under `policy`; empty when it may.
std::string refusal(const store::Schedule& s, const deliver::DomainPolicy& policy) {
  for (const std::string& r : s.recipients) {
    if (Status st = deliver::check_recipient(r, policy); !st.ok()) {
      std::string fix = s.origin == store::ScheduleOrigin::kSalesforce
                            ? "the next sync marks its record Invalid with the reason"
                            : "change its recipients (`reportd schedules set \"" + s.name +
                                  "\" --to ...`), then resume it";
      return "allowed domains changed: " + st.message() + "; " + fix;
    }
  }
  return {};
}

}  // namespace

int cmd_connections_set(Context& ctx) {
  const std::string& name = ctx.args.words.at(2);
  auto given = ctx.args.get("allowed-domains");
  const bool jwt = ctx.args.has("jwt-consumer-key") || ctx.args.has("jwt-key-file") ||
                   ctx.args.has("jwt-cert-file") || ctx.args.has("jwt-remove");
  if (jwt && given) {
    return ctx.fail(Status::error(ErrorKind::kInvalidArgument,
                                  "change the allowed domains and the JWT configuration in "
                                  "two commands"));
  }
  if (jwt) return cmd_connections_set_jwt(ctx);
  if (!given) {
    return ctx.fail(Status::error(ErrorKind::kInvalidArgument,
                                  "connections set needs --allowed-domains LIST, e.g. "
                                  "--allowed-domains acme.com,acme.co.uk, or --jwt-consumer-key "
                                  "KEY --jwt-key-file PATH"));
  }
  auto domains = deliver::split_domains(*given);
  if (!domains.ok()) return ctx.fail(std::move(domains).status().with_context("--allowed-domains"));
  auto config = ctx.load_config();
  if (!config.ok()) return ctx.fail(config.status());
  auto opened = ctx.open_store();
  if (!opened.ok()) return ctx.fail(opened.status());
  store::Store& st = **opened;
  auto conn = st.find_connection(name);
  if (!conn.ok()) return ctx.fail(conn.status());
  auto all = st.list_schedules();
  if (!all.ok()) return ctx.fail(all.status());

  store::Connection next = *conn;
  next.allowed_domains = *domains;
  const jobs::DomainRules rules = domain_rules(*config);
  std::vector<store::Store::Pause> pause;
  for (const store::Schedule& s : *all) {
    if (s.connection_id != conn->id || s.paused) continue;
    std::string why = refusal(s, jobs::domain_policy(s, next, rules));
    if (!why.empty()) pause.emplace_back(s.id, std::move(why));
  }
  // Every record is read again at the next sync: one the old list refused
  // may pass now, and one it let through is checked against the new list.
  if (Status set = st.set_connection_domains(conn->id, *domains, pause, true); !set.ok()) {
    return ctx.fail(set);
  }
  ctx.out << "connection " << name << ": allowed domains " << joined(*domains) << " (were "
          << joined(conn->allowed_domains)
          << "); in effect with the config's: " << joined(jobs::allowed_domains(next, rules))
          << "\n";
  for (const auto& [id, why] : pause) {
    for (const store::Schedule& s : *all) {
      if (s.id == id) ctx.out << "paused " << s.name << ": " << why << "\n";
    }
  }
  ctx.out << "the next sync reads every schedule record of this org again\n";
  return 0;
}

}  // namespace reportd::daemon
