// reportd doctor [--output json]: every check of doctor.hpp, in the order an
// operator would go: config, key, store, mail relay, each connection, the
// running daemon's HTTP endpoint, the clock. Exits 1 when one failed.
#include <algorithm>
#include <ostream>

#include "daemon/commands.hpp"
#include "daemon/doctor.hpp"

namespace reportd::daemon {

int cmd_doctor(Context& ctx) {
  using State = DoctorCheck::State;
  std::vector<DoctorCheck> checks;
  const std::string config_path = ctx.args.get_or("config", kDefaultConfig);
  Result<Config> config = ctx.load_config();
  checks.push_back(check_config(config, config_path));
  Result<crypto::KeyRing> keys = ctx.load_keys();
  checks.push_back(check_key_file(keys));
  bool current = false;
  checks.push_back(check_store(ctx.db_path(), current));
  std::unique_ptr<store::SqliteStore> store;
  if (current) {
    auto opened = store::SqliteStore::open(ctx.db_path());
    if (opened.ok()) store = std::move(opened).value();
  }
  if (config.ok()) {
    checks.push_back(check_smtp(*config));
  } else {
    checks.push_back({"smtp", State::kSkip, "needs a config that parses", ""});
  }
  if (store && config.ok() && keys.ok()) {
    ctx.opened_store = true;  // another org's token marks its connection: wake the daemon
    for (DoctorCheck& c : check_connections(*config, *keys, *store)) checks.push_back(std::move(c));
  } else {
    checks.push_back({"connections", State::kSkip,
                      "need the config, the master key and a current store", ""});
  }
  const bool running = store != nullptr && daemon_running(*store);
  checks.push_back(check_http(config.ok() ? config->http_listen : Config().http_listen, running));
  checks.push_back(check_clock());

  if (ctx.json()) {
    print_checks_json(checks, ctx.out);
  } else {
    print_checks(checks, ctx.out);
  }
  const bool failed = std::any_of(checks.begin(), checks.end(),
                                  [](const DoctorCheck& c) { return c.state == State::kFail; });
  return failed ? 1 : 0;
}

}  // namespace reportd::daemon
