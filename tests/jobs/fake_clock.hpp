#pragma once
// FakeClock: a Clock that tests move by hand, instantly. advance() moves wall
// and steady time together; step_wall() moves only the wall clock, as an NTP
// step or a suspend would. FakeTimer waits on it: a wait ends when advance()
// passes its end, or when the awaiting coroutine is cancelled.
// run_until() and run_virtual() drive a coroutine to its end and moves the clock to the next
// wait's end whenever the io_context and the given worker threads are idle,
// so a test of a 30-minute deadline takes milliseconds and never sleeps.

#include <algorithm>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <doctest/doctest.h>

#include "jobs/clock.hpp"
#include "jobs/timer.hpp"

namespace reportd::jobs::test {

class FakeClock final : public Clock {
 public:
  // One pending FakeTimer wait: its end, and the asio timer it sleeps on.
  struct Waiter {
    SteadyTime end;
    boost::asio::steady_timer* timer = nullptr;
    bool fired = false;
  };

  explicit FakeClock(WallTime start) : wall_(start) {}
  WallTime wall_now() override { return wall_; }
  SteadyTime steady_now() override { return steady_; }
  void advance(std::chrono::milliseconds d) {
    wall_ += d;
    steady_ += d;
    fire_due();
  }
  void step_wall(std::chrono::milliseconds d) { wall_ += d; }
  void set_wall(WallTime t) { advance(t - wall_); }

  // The end of the earliest pending wait, if any.
  std::optional<SteadyTime> next_end() const {
    std::optional<SteadyTime> out;
    for (const auto& w : waiters_) {
      if (!w->fired && (!out || w->end < *out)) out = w->end;
    }
    return out;
  }
  // Moves time to the earliest pending wait's end; false when none waits.
  bool advance_to_next() {
    auto end = next_end();
    if (!end) return false;
    advance(std::chrono::duration_cast<std::chrono::milliseconds>(*end - steady_));
    return true;
  }

  std::shared_ptr<Waiter> add(std::chrono::milliseconds delay, boost::asio::steady_timer& t) {
    auto w = std::make_shared<Waiter>(Waiter{steady_ + delay, &t, false});
    waiters_.push_back(w);
    if (delay.count() <= 0) fire_due();
    return w;
  }
  void remove(const std::shared_ptr<Waiter>& w) {
    waiters_.erase(std::remove(waiters_.begin(), waiters_.end(), w), waiters_.end());
  }

 private:
  void fire_due() {
    for (const auto& w : waiters_) {
      if (!w->fired && w->end <= steady_) {
        w->fired = true;
        w->timer->cancel();
      }
    }
  }

  WallTime wall_;
  SteadyTime steady_{};
  std::vector<std::shared_ptr<Waiter>> waiters_;
};

// A Timer on a FakeClock: sleeps on an asio timer that never expires by
// itself; the clock (or a cancellation) wakes it.
class FakeTimer final : public Timer {
 public:
  explicit FakeTimer(FakeClock& clock) : clock_(clock) {}
  boost::asio::awaitable<bool> wait(std::chrono::milliseconds delay) override {
    boost::asio::steady_timer t(co_await boost::asio::this_coro::executor,
                                std::chrono::steady_clock::time_point::max());
    auto waiter = clock_.add(delay, t);
    if (!waiter->fired) {
      (void)co_await t.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
    clock_.remove(waiter);
    ++waits;
    co_return waiter->fired;
  }
  int waits = 0;  // waits that ended, fired or cancelled

 private:
  FakeClock& clock_;
};

// Runs `io` until `done()`. Whenever nothing is ready on `io` and each of
// `workers` (one-thread executors such as a store::StoreThread's) has finished what
// was posted to it, the clock moves to the next FakeTimer wait's end.
inline void run_until(boost::asio::io_context& io, FakeClock& clock,
                      const std::vector<boost::asio::any_io_executor>& workers,
                      const std::function<bool()>& done) {
  auto idle = [&] {
    io.restart();
    if (io.poll() > 0) return false;
    for (const auto& ex : workers) {
      std::promise<void> p;
      boost::asio::post(ex, [&p] { p.set_value(); });
      p.get_future().wait();
    }
    io.restart();
    return io.poll() == 0;
  };
  while (!done()) {
    if (!idle() || done()) continue;
    REQUIRE_MESSAGE(clock.advance_to_next(), "the test waits on nothing the clock can end");
  }
}

// Runs `a` on `io` to its end, as run_until(); returns what it returned.
template <class T>
T run_virtual(boost::asio::io_context& io, FakeClock& clock, boost::asio::awaitable<T> a,
              const std::vector<boost::asio::any_io_executor>& workers) {
  std::exception_ptr error;
  std::optional<T> out;
  bool done = false;
  boost::asio::co_spawn(io, std::move(a), [&](std::exception_ptr e, T v) {
    error = e;
    out.emplace(std::move(v));
    done = true;
  });
  run_until(io, clock, workers, [&] { return done; });
  if (error) std::rethrow_exception(error);
  return std::move(*out);
}

}  // namespace reportd::jobs::test
