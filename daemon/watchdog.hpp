#pragma once
// Watchdog: sends systemd's WATCHDOG=1 from the event loop, at half of
// WATCHDOG_USEC (DESIGN.md §5). The ping is a timer handler on the loop
// itself, never a thread of its own: a handler that stalls the loop stalls the
// pings too, and systemd restarts the service.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>

namespace reportd::daemon {

class Watchdog {
 public:
  using Notify = std::function<void(const char* state)>;

  // `interval` zero: disabled, start() does nothing.
  Watchdog(boost::asio::any_io_executor executor, std::chrono::microseconds interval,
           Notify notify);

  // Half of WATCHDOG_USEC when systemd asked for a watchdog (and
  // WATCHDOG_PID, if set, is this process); else zero.
  static std::chrono::microseconds interval_from_environment();

  void start();
  void stop();

 private:
  boost::asio::awaitable<void> loop();

  std::chrono::microseconds interval_;
  Notify notify_;
  boost::asio::steady_timer timer_;
  bool stopped_ = false;
};

}  // namespace reportd::daemon
