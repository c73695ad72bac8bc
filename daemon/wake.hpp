#pragma once
// Wake: how a CLI command tells a running `reportd serve` that it changed the
// store, so the daemon reloads at once instead of at its next 5 s heartbeat
// (which stays as the fallback). The daemon listens on a Unix datagram socket
// in its state directory; the CLI sends one empty datagram there after a
// command that opened the store. A wake carries no data: the daemon decides
// from the store (data_version) whether anything changed.

#include <functional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/local/datagram_protocol.hpp>

#include "table/status.hpp"

namespace reportd::daemon {

// <state_dir>/wake.sock
std::string wake_socket_path(const std::string& state_dir);

// Sends one wake datagram to `socket_path`, without blocking. Best effort:
// no daemon (no socket, nobody bound), a full queue or a path too long for a
// Unix socket are all silently ignored.
void wake_daemon(const std::string& socket_path) noexcept;

// The daemon's end. Lives on one executor (the daemon's io_context).
class WakeListener {
 public:
  WakeListener(boost::asio::any_io_executor executor, std::string socket_path);
  ~WakeListener();  // close()

  // Binds the socket (mode as the umask allows; the state directory is 0700),
  // replacing a stale one a killed daemon left behind. Fails when the path is
  // too long for a Unix socket or the bind fails; the caller then relies on
  // the heartbeat alone.
  Status open();

  // Until close(): waits for a wake, takes every wake already queued, and
  // awaits on_wake() once for all of them. Returns at once unless open().
  using OnWake = std::function<boost::asio::awaitable<void>()>;
  boost::asio::awaitable<void> run(OnWake on_wake);

  // Stops run() and removes the socket file. Idempotent.
  void close();

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  boost::asio::local::datagram_protocol::socket socket_;
  bool bound_ = false;
};

}  // namespace reportd::daemon
