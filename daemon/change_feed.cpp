#include "daemon/change_feed.hpp"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>

#include "daemon/log.hpp"

namespace asio = boost::asio;

namespace reportd::daemon {
namespace {

constexpr auto kFirstRetry = std::chrono::seconds(1);
constexpr auto kLastRetry = std::chrono::seconds(30);

}  // namespace

ChangeFeed::ChangeFeed(asio::any_io_executor executor, Connect connect)
    : executor_(executor), connect_(std::move(connect)), timer_(executor) {}

asio::awaitable<void> ChangeFeed::run(OnChange on_change) {
  std::chrono::seconds retry = kFirstRetry;
  std::string last_error;
  bool heard_before = false;
  while (!stopped_) {
    // Named, not a temporary: GCC 12 destroys a capturing lambda temporary
    // inside a co_await expression twice.
    auto connect = [f = connect_] { return f(); };
    Result<store::PgListener> listener = co_await thread_.run(std::move(connect));
    if (stopped_) break;
    if (!listener.ok()) {
      // Said once per different error; the heartbeat reports the store's health.
      if (listener.status().message() != last_error) {
        last_error = listener.status().message();
        log::warning("notify.unavailable",
                     {{"error", last_error},
                      {"state", "schedule changes are noticed at the periodic check; retrying"}});
      }
      timer_.expires_after(retry);
      co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
      retry = std::min(retry * 2, std::chrono::duration_cast<std::chrono::seconds>(kLastRetry));
      continue;
    }
    retry = kFirstRetry;
    last_error.clear();
    log::write(heard_before ? log::Priority::kNotice : log::Priority::kInfo, "notify.listening",
               {{"channel", store::kChangeChannel}});
    listening_ = true;
    // Whatever changed while no session listened.
    if (heard_before) co_await on_change();
    heard_before = true;
    co_await listen(*listener, on_change);
    listening_ = false;
  }
}

// Waits on the session's socket until it breaks or stop().
asio::awaitable<void> ChangeFeed::listen(store::PgListener& listener, const OnChange& on_change) {
  // A duplicate of libpq's descriptor: Asio closes its own, libpq its own.
  const int fd = ::dup(listener.socket());
  if (fd < 0) {
    log::warning("notify.lost", {{"error", std::string("dup: ") + std::strerror(errno)}});
    co_return;
  }
  socket_.emplace(executor_, fd);
  while (!stopped_) {
    auto [ec] = co_await socket_->async_wait(asio::posix::stream_descriptor::wait_read,
                                             asio::as_tuple(asio::use_awaitable));
    if (stopped_) break;
    Result<int> n = listener.take();
    if (!n.ok() || ec) {
      log::warning("notify.lost", {{"error", n.ok() ? ec.message() : n.status().message()},
                                   {"state", "listening again"}});
      break;
    }
    if (*n == 0) continue;
    notices_ += *n;
    co_await on_change();
  }
  socket_.reset();
}

void ChangeFeed::stop() {
  stopped_ = true;
  timer_.cancel();
  if (socket_) socket_->cancel();
}

}  // namespace reportd::daemon
