#pragma once
// ChangeFeed: how a node on PostgreSQL hears at once that another node or
// the CLI changed connections or schedules (store/pg_listener.hpp: LISTEN
// on a session of its own, NOTIFY in each change's transaction). It
// connects on a thread of its own (connecting blocks), then waits on the
// session's socket with Asio, so the event loop never blocks. When the
// session breaks (the database restarted, the network dropped) it
// connects again, after 1 s and then up to 30 s between tries, and calls
// on_change() once when listening again, for what changed meanwhile. The
// heartbeat's periodic check ([store] check_seconds) stays as the fallback.
// Lives on one executor (the daemon's io_context).

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "store/offload_thread.hpp"
#include "store/pg_listener.hpp"

namespace reportd::daemon {

class ChangeFeed {
 public:
  // Connects a listener; blocks (runs on the feed's own thread).
  using Connect = std::function<Result<store::PgListener>()>;
  using OnChange = std::function<boost::asio::awaitable<void>()>;

  ChangeFeed(boost::asio::any_io_executor executor, Connect connect);

  // Until stop(): listens, and awaits on_change() after each batch of
  // notices (one call for all that arrived together).
  boost::asio::awaitable<void> run(OnChange on_change);
  void stop();

  bool listening() const { return listening_; }
  std::int64_t notices() const { return notices_; }  // received since start

 private:
  boost::asio::awaitable<void> listen(store::PgListener& listener, const OnChange& on_change);

  boost::asio::any_io_executor executor_;
  Connect connect_;
  boost::asio::steady_timer timer_;
  std::optional<boost::asio::posix::stream_descriptor> socket_;
  bool stopped_ = false;
  bool listening_ = false;
  std::int64_t notices_ = 0;
  store::OffloadThread thread_;  // last: joined first, before the rest goes
};

}  // namespace reportd::daemon
