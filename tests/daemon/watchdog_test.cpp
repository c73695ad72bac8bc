// The watchdog pings from the event loop: a stalled handler stops them.
#include "daemon/watchdog.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace reportd::daemon {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST_CASE("a handler that stalls the loop stalls the watchdog pings") {
  // Driven by the pings themselves, not by wall-clock marks: the stall starts
  // after the third ping and the test ends three pings after it, however
  // slowly a loaded machine delivers them.
  asio::io_context io;
  std::vector<Clock::time_point> pings;
  Clock::time_point stall_begin{}, stall_end{};
  bool stall_queued = false;
  std::size_t pings_before_end = 0;
  Watchdog* watchdog = nullptr;
  asio::steady_timer bound(io, 60s);  // a safety net only
  Watchdog w(io.get_executor(), 20ms, [&](const char* state) {
    CHECK(std::string(state) == "WATCHDOG=1");
    pings.push_back(Clock::now());
    if (pings.size() == 3 && !stall_queued) {
      stall_queued = true;
      asio::post(io, [&] {
        stall_begin = Clock::now();
        std::this_thread::sleep_for(600ms);  // a handler that blocks the loop
        stall_end = Clock::now();
        pings_before_end = pings.size();
      });
    } else if (pings_before_end > 0 && pings.size() >= pings_before_end + 3) {
      watchdog->stop();
      bound.cancel();
    }
  });
  watchdog = &w;
  bound.async_wait([&](boost::system::error_code ec) {
    if (!ec) w.stop();
  });
  w.start();
  io.run();

  int before = 0, during = 0, after = 0;
  for (auto t : pings) {
    if (t < stall_begin) ++before;
    else if (t < stall_end) ++during;
    else ++after;
  }
  CHECK(before >= 3);
  CHECK(during == 0);
  CHECK(after >= 3);
  // The longest silence is the stall: systemd (WatchdogSec = 2 x interval)
  // would have restarted the service.
  Clock::duration longest{};
  for (std::size_t i = 1; i < pings.size(); ++i) longest = std::max(longest, pings[i] - pings[i - 1]);
  CHECK(longest >= 550ms);
}

TEST_CASE("the interval is half of WATCHDOG_USEC, and zero without a watchdog") {
  ::unsetenv("WATCHDOG_PID");
  ::setenv("WATCHDOG_USEC", "3000000", 1);
  CHECK(Watchdog::interval_from_environment() == 1500ms);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
  CHECK(Watchdog::interval_from_environment() == 0us);  // meant for another process
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  CHECK(Watchdog::interval_from_environment() == 1500ms);
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
  CHECK(Watchdog::interval_from_environment() == 0us);
}

TEST_CASE("a disabled watchdog never pings") {
  asio::io_context io;
  int pings = 0;
  Watchdog w(io.get_executor(), 0us, [&](const char*) { ++pings; });
  w.start();
  io.run();
  CHECK(pings == 0);
}

}  // namespace
}  // namespace reportd::daemon
