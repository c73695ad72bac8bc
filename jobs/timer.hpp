#pragma once
// Timer: waiting, injected beside Clock (clock.hpp) so that a run's backoff
// and its deadline run on the fake clock in tests (tests/jobs/fake_clock.hpp)
// and on a steady_timer in the daemon. Lives on the event loop's executor.

#include <chrono>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace reportd::jobs {

class Timer {
 public:
  virtual ~Timer() = default;
  // Waits `delay` of steady time. True when it passed; false when the wait
  // was cancelled (through the awaiting coroutine's cancellation slot, e.g.
  // the losing side of `op || timer.wait(d)`).
  virtual boost::asio::awaitable<bool> wait(std::chrono::milliseconds delay) = 0;
};

// The real one: a steady_timer on the awaiting coroutine's executor.
class SteadyTimer final : public Timer {
 public:
  boost::asio::awaitable<bool> wait(std::chrono::milliseconds delay) override {
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, delay);
    auto [ec] = co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    co_return !ec;
  }
};

}  // namespace reportd::jobs
