#include "daemon/watchdog.hpp"

#include <systemd/sd-daemon.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace reportd::daemon {
namespace asio = boost::asio;

Watchdog::Watchdog(asio::any_io_executor executor, std::chrono::microseconds interval,
                   Notify notify)
    : interval_(interval), notify_(std::move(notify)), timer_(std::move(executor)) {}

std::chrono::microseconds Watchdog::interval_from_environment() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::chrono::microseconds(0);
  return std::chrono::microseconds(usec / 2);
}

void Watchdog::start() {
  if (interval_.count() <= 0) return;
  // The loop only touches members: stop() before destruction ends it.
  asio::co_spawn(timer_.get_executor(), loop(), asio::detached);
}

void Watchdog::stop() {
  stopped_ = true;
  timer_.cancel();
}

asio::awaitable<void> Watchdog::loop() {
  while (!stopped_) {
    notify_("WATCHDOG=1");
    timer_.expires_after(interval_);
    auto [ec] = co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    (void)ec;
  }
}

}  // namespace reportd::daemon
