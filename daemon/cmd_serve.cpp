// reportd serve
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <ostream>

#include "daemon/commands.hpp"
#include "daemon/log.hpp"
#include "daemon/serve.hpp"
#include "daemon/time_text.hpp"

namespace asio = boost::asio;

namespace reportd::daemon {
namespace {

// Runs blocking store calls on the store thread, never on the event loop.
class StoreThread {
 public:
  explicit StoreThread(store::Store& store) : store_(store) {}
  ~StoreThread() { pool_.join(); }

  template <class F>
  asio::awaitable<Status> run(F f) {
    auto home = co_await asio::this_coro::executor;
    co_await asio::post(pool_.get_executor(), asio::use_awaitable);
    Status st = f(store_);
    co_await asio::post(home, asio::use_awaitable);
    co_return st;
  }

 private:
  store::Store& store_;
  asio::thread_pool pool_{1};
};

asio::awaitable<void> heartbeat(StoreThread& st, store::DaemonState state) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    state.heartbeat_at_ms = now_ms();
    Status s = co_await st.run([&](store::Store& db) { return db.put_daemon_state(state); });
    if (!s.ok()) log::warning("heartbeat.failed", {{"error", s.message()}});
    timer.expires_after(std::chrono::milliseconds(kHeartbeatMs));
    co_await timer.async_wait(asio::use_awaitable);
  }
}

void rethrow(std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
}

}  // namespace

int cmd_serve(Context& ctx) {
  Result<Config> loaded_config = ctx.load_config();
  if (!loaded_config.ok()) {
    return ctx.fail(std::move(loaded_config).status().with_context("cannot start"));
  }
  Config config = std::move(loaded_config).value();
  Result<crypto::KeyRing> keys = ctx.load_keys();
  if (!keys.ok()) {
    return ctx.fail(std::move(keys).status().with_context("cannot start"));
  }
  auto opened = ctx.open_store();
  if (!opened.ok()) {
    return ctx.fail(std::move(opened).status().with_context("cannot start"));
  }
  store::Store& db = **opened;

  asio::io_context io;
  StoreThread store_thread(db);
  store::DaemonState state{::getpid(), now_ms(), 0, REPORTD_VERSION, "running"};

  auto schedules = db.list_schedules();
  auto conns = db.list_connections();
  log::info("serve.start", {{"pid", static_cast<long>(::getpid())},
                            {"state_dir", ctx.state_dir()},
                            {"version", REPORTD_VERSION},
                            {"key_id", keys->primary().id},
                            {"config", config.path.empty() ? "defaults" : config.path},
                            {"connections", conns.ok() ? static_cast<long>(conns->size()) : -1L},
                            {"schedules", schedules.ok() ? static_cast<long>(schedules->size()) : -1L}});

  asio::co_spawn(io, heartbeat(store_thread, state), rethrow);

  asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        if (sig == SIGHUP) {
          sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
                     static_cast<unsigned long long>(
                         std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::steady_clock::now().time_since_epoch())
                             .count()));
          // A bad new config keeps the old one and says why (DESIGN.md §5).
          Result<Config> next = ctx.load_config();
          if (next.ok()) {
            config = std::move(next).value();
            log::notice("serve.reload", {{"config", config.path.empty() ? "defaults" : config.path}});
            sd_notify(0, "READY=1\nSTATUS=running; config reloaded");
          } else {
            log::err("serve.reload_failed", {{"error", next.status().message()},
                                             {"state", "kept the previous config"}});
            sd_notifyf(0, "READY=1\nSTATUS=reload failed, kept the previous config: %s",
                       next.status().message().c_str());
          }
          signals.async_wait(on_signal);
          return;
        }
        sd_notify(0, "STOPPING=1");
        log::notice("serve.stop", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
        io.stop();
      };
  signals.async_wait(on_signal);

  sd_notify(0, "READY=1\nSTATUS=running, no schedules due");
  log::info("serve.ready", {});
  io.run();

  state.heartbeat_at_ms = now_ms();
  state.status = "stopped";
  if (Status s = db.put_daemon_state(state); !s.ok()) {
    log::warning("serve.stop", {{"error", s.message()}});
  }
  return 0;
}

}  // namespace reportd::daemon
