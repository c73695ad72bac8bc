// reportd serve: loads the config, the keys and the store, and runs the
// Server (server.hpp) on them until SIGTERM or SIGINT (DESIGN.md §5).
#include <unistd.h>

#include "daemon/commands.hpp"
#include "daemon/log.hpp"
#include "daemon/server.hpp"
#include "daemon/wake.hpp"
#include "store/open.hpp"
#include "store/sqlite_store.hpp"

namespace reportd::daemon {

int cmd_serve(Context& ctx) {
  Result<Config> config = ctx.load_config();
  if (!config.ok()) return ctx.fail(std::move(config).status().with_context("cannot start"));
  Result<crypto::KeyRing> keys = ctx.load_keys();
  if (!keys.ok()) return ctx.fail(std::move(keys).status().with_context("cannot start"));
  auto opened = ctx.open_store(*config);
  if (!opened.ok()) return ctx.fail(std::move(opened).status().with_context("cannot start"));
  if (auto* sqlite = dynamic_cast<store::SqliteStore*>(opened->get())) {
    // No commit pays for a checkpoint: a `sent` right after the relay's 250
    // must not wait behind one (store/wal_checkpointer.hpp).
    Status bg = sqlite->checkpoint_in_background([](const store::CheckpointDone& d) {
      log::write(d.status.ok() ? log::Priority::kDebug : log::Priority::kWarning, "store.checkpoint",
                 {{"duration_ms", static_cast<long>(d.took.count() / 1000)},
                  {"count", d.wal_pages},
                  {"error", d.status.ok() ? std::string("none") : d.status.message()}});
    });
    if (!bg.ok()) return ctx.fail(std::move(bg).with_context("cannot start"));
    // Group commit: other runs' fsyncs off the store thread, so a `sent`
    // waits only for their writes (store/wal_syncer.hpp). A failed sync is
    // said at error priority; the commits after it sync themselves, so a
    // disk that keeps failing shows as store.write_failed too.
    store::WalSyncer::Options group;
    group.on_failed = [](const Status& st) {
      log::err("store.sync_failed", {{"error", st.message()}, {"state", "group commit off until restart"}});
    };
    if (bg = sqlite->sync_in_background(std::move(group)); !bg.ok()) {
      return ctx.fail(std::move(bg).with_context("cannot start"));
    }
  }
  log::info("serve.start", {{"pid", static_cast<long>(::getpid())},
                            {"state_dir", ctx.state_dir()},
                            {"store", ctx.store_location(*config)},
                            {"version", REPORTD_VERSION},
                            {"key_id", keys->primary().id},
                            {"config", config->path.empty() ? "defaults" : config->path}});
  ServerEnv env;
  env.wake_socket = wake_socket_path(ctx.state_dir());
  env.load_config = [&ctx] { return ctx.load_config(); };
  if (store::is_postgres_url(config->store_url)) {
    // Schedule changes from other nodes and the CLI, at once (NOTIFY).
    env.listen = [cfg = *config]() -> Result<store::PgListener> {
      Result<crypto::SecureBuffer> password = read_store_password(cfg);
      if (!password.ok()) return password.status();
      return store::PgListener::connect(cfg.store_url, password->view());
    };
  }
  Server server(std::move(config).value(), *keys, **opened, std::move(env));
  return server.run();
}

}  // namespace reportd::daemon
