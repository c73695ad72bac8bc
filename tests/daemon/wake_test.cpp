// The CLI wakes the daemon: a datagram on the wake socket reaches the
// listener's callback; wakes queued while it was busy are answered once; no
// daemon, a stale socket or a path too long never block or throw.
#include "daemon/wake.hpp"

#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace reportd::daemon {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;

struct TempDir {
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "reportd-wake-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string path;
};

void rethrow(std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
}

// The test's on_wake: counts; the first call sends another wake (a change
// made while the daemon reloads), the second ends the test.
asio::awaitable<void> count_wake(int* calls, WakeListener* listener, asio::steady_timer* bound) {
  ++*calls;
  if (*calls == 1) {
    wake_daemon(listener->path());
  } else {
    listener->close();
    bound->cancel();
  }
  co_return;
}

asio::awaitable<void> mark_called(bool* called) {
  *called = true;
  co_return;
}

TEST_CASE("a wake reaches the listener, and wakes queued meanwhile are answered once") {
  TempDir dir;
  asio::io_context io;
  WakeListener listener(io.get_executor(), wake_socket_path(dir.path));
  REQUIRE(listener.open().ok());
  struct stat st;
  REQUIRE(::lstat(listener.path().c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));

  // Three wakes before the listener looks: one callback covers them all.
  for (int i = 0; i < 3; ++i) wake_daemon(listener.path());
  int calls = 0;
  asio::steady_timer bound(io, std::chrono::seconds(30));
  auto on_wake = [&] { return count_wake(&calls, &listener, &bound); };
  bound.async_wait([&](boost::system::error_code ec) {
    if (!ec) listener.close();
  });
  asio::co_spawn(io, listener.run(on_wake), rethrow);
  io.run();
  CHECK(calls == 2);
  // close() removed the socket file; a wake now finds nobody, at once.
  CHECK_FALSE(fs::exists(listener.path()));
  wake_daemon(listener.path());
}

TEST_CASE("a stale socket left by a killed daemon is replaced; a live one is not taken") {
  TempDir dir;
  const std::string path = wake_socket_path(dir.path);
  {
    // A bound socket whose process is gone: the file stays behind.
    int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    ::close(fd);
  }
  REQUIRE(fs::exists(path));
  asio::io_context io;
  WakeListener first(io.get_executor(), path);
  CHECK(first.open().ok());
  WakeListener second(io.get_executor(), path);
  Status taken = second.open();
  CHECK_FALSE(taken.ok());
  CHECK(taken.message().find("another reportd serve listens there") != std::string::npos);
  CHECK(fs::exists(path));  // the first one's socket is untouched
}

TEST_CASE("a path too long for a Unix socket is an error, and a wake there is a no-op") {
  const std::string path = "/tmp/" + std::string(200, 'x') + "/wake.sock";
  asio::io_context io;
  WakeListener listener(io.get_executor(), path);
  Status st = listener.open();
  CHECK_FALSE(st.ok());
  CHECK(st.message().find("too long for a Unix socket") != std::string::npos);
  wake_daemon(path);
  wake_daemon("");
}

TEST_CASE("run() returns at once on a listener that never opened") {
  asio::io_context io;
  WakeListener listener(io.get_executor(), "/nonexistent/wake.sock");
  bool called = false;
  bool done = false;
  asio::co_spawn(io, listener.run([&] { return mark_called(&called); }),
                 [&](std::exception_ptr e) {
    rethrow(e);
    done = true;
  });
  io.run();
  CHECK(done);
  CHECK_FALSE(called);
}

}  // namespace
}  // namespace reportd::daemon
