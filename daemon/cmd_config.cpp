// reportd config check: validates the config file the daemon would read and
// says what it found, so operators check an edit before SIGHUP or restart
// (a running daemon also keeps its old config when the new one is bad).
#include <ostream>

#include "daemon/commands.hpp"

namespace reportd::daemon {

int cmd_config_check(Context& ctx) {
  Result<Config> config = ctx.load_config();
  if (!config.ok()) return ctx.fail(config.status());
  const Config& c = *config;
  ctx.out << (c.path.empty() ? std::string("no config file (") + kDefaultConfig +
                                   " does not exist); the built-in defaults"
                             : c.path)
          << ": ok\n"
          << "  smtp: " << (c.smtp ? c.smtp->host + ":" + std::to_string(c.smtp->port) : "none (no mail is sent)")
          << "\n  http listen: " << c.http_listen
          << "\n  runs: " << c.max_concurrent_runs << " at once, " << c.max_runs_per_org
          << " per org, deadline " << c.run_deadline_s << " s"
          << "\n  run caps: " << c.max_rows_per_run << " rows, " << c.scratch_max_bytes
          << " bytes of scratch; all runs: " << c.scratch_budget_bytes << " bytes"
          << "\n  pause after: "
          << (c.failures_before_pause > 0 ? std::to_string(c.failures_before_pause) + " failed runs in a row" : "never")
          << "\n  notices to: " << (c.operator_email.empty() ? "schedule owners only" : c.operator_email)
          << "\n  connections with allowed domains: " << c.allowed_domains.size()
          << "\n  default allowed domains: "
          << (c.default_allowed_domains.empty()
                  ? std::string("none (synced schedules need a list on their connection)")
                  : std::to_string(c.default_allowed_domains.size()))
          << "\n";
  if (c.path.empty()) {
    ctx.out << "to configure: install -m 0640 -g reportd "
               "/usr/share/doc/reportd/reportd.toml.example "
            << kDefaultConfig << " (the example is doc/reportd.toml.example in the source), "
            << "edit it, then run `reportd config check` again\n";
  }
  return 0;
}

}  // namespace reportd::daemon
