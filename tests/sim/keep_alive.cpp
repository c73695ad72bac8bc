// The wait for a kept-alive connection's next request, without polling.
//
// cpp-httplib 0.11 (Debian's libcpp-httplib, a compiled library) waits for
// the next request on a kept-alive connection by polling the socket with a
// 10 ms timeout and sleeping 1 ms between polls: about 90 wake-ups a second
// for each idle connection. With --orgs 1000 a client holds about 1,000 idle
// kept-alive connections, and the simulator spent most of its CPU (1.4 to
// 3 ms per call, on CPUs it shares with the client under test) in those polls
// and sleeps (perf: the context switches out of them alone were 54% of its
// samples).
//
// The library calls this function through its PLT (Server and SSLServer's
// process_and_close_socket), so the executable's definition below takes its
// place. It keeps the library's contract: true once the socket is readable
// (a request, or the peer's close, which the request parser then sees), false
// on an error or when keep_alive_timeout_sec passes with nothing to read. It
// waits in one poll() instead of a thousand. sim_orgs_test
// (test_idle_kept_alive_connections_cost_no_cpu) checks that idle connections
// cost the simulator no CPU, so a library whose internals differ (where this
// definition would be ignored) is noticed.
#include <poll.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <ctime>

namespace httplib::detail {

bool keep_alive(int sock, std::time_t keep_alive_timeout_sec);

bool keep_alive(int sock, std::time_t keep_alive_timeout_sec) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::seconds(keep_alive_timeout_sec);
  pollfd p{sock, POLLIN, 0};
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    const int r = ::poll(&p, 1, left > INT_MAX ? INT_MAX : static_cast<int>(left));
    if (r > 0) return true;
    if (r == 0) continue;  // the deadline is checked above
    if (errno != EINTR) return false;
  }
}

}  // namespace httplib::detail
