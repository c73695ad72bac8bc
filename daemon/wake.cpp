#include "daemon/wake.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace reportd::daemon {
namespace asio = boost::asio;
using Protocol = asio::local::datagram_protocol;

namespace {

// Fills `addr` for `path`; false when the path does not fit.
bool unix_address(const std::string& path, sockaddr_un& addr) {
  std::memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, path.data(), path.size());
  return true;
}

// True when a process is bound to the socket at `path` (a datagram connect
// succeeds); false for a stale file that a killed daemon left behind.
bool someone_listens(const sockaddr_un& addr) {
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool live = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return live;
}

}  // namespace

std::string wake_socket_path(const std::string& state_dir) { return state_dir + "/wake.sock"; }

void wake_daemon(const std::string& socket_path) noexcept {
  sockaddr_un addr;
  if (!unix_address(socket_path, addr)) return;
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return;
  const char byte = 'w';
  (void)::sendto(fd, &byte, 1, MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&addr),
                 sizeof addr);
  ::close(fd);
}

WakeListener::WakeListener(asio::any_io_executor executor, std::string socket_path)
    : path_(std::move(socket_path)), socket_(std::move(executor)) {}

WakeListener::~WakeListener() { close(); }

Status WakeListener::open() {
  sockaddr_un addr;
  if (!unix_address(path_, addr)) {
    return Status::error(ErrorKind::kInvalidArgument,
                         "wake socket " + path_ + ": the path is too long for a Unix socket");
  }
  struct stat st;
  if (::lstat(path_.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return Status::error(ErrorKind::kIo, "wake socket " + path_ + ": exists and is not a socket");
    }
    if (someone_listens(addr)) {
      return Status::error(ErrorKind::kIo, "wake socket " + path_ +
                                               ": another reportd serve listens there");
    }
    ::unlink(path_.c_str());  // stale: its daemon was killed
  }
  boost::system::error_code ec;
  socket_.open(Protocol(), ec);
  if (!ec) socket_.bind(Protocol::endpoint(path_), ec);
  if (!ec) socket_.non_blocking(true, ec);
  if (ec) {
    socket_.close(ec);
    return Status::error(ErrorKind::kIo, "wake socket " + path_ + ": " + ec.message());
  }
  bound_ = true;
  return Status();
}

asio::awaitable<void> WakeListener::run(OnWake on_wake) {
  std::array<char, 64> buf;
  while (socket_.is_open()) {
    auto [ec, n] = co_await socket_.async_receive(asio::buffer(buf),
                                                  asio::as_tuple(asio::use_awaitable));
    (void)n;
    if (ec) co_return;  // closed (operation_aborted), or the socket broke: the heartbeat remains
    // Every wake already queued is answered by this one look at the store.
    boost::system::error_code more;
    while (!more && socket_.is_open()) socket_.receive(asio::buffer(buf), 0, more);
    co_await on_wake();
  }
}

void WakeListener::close() {
  boost::system::error_code ec;
  if (socket_.is_open()) socket_.close(ec);
  if (bound_) {
    ::unlink(path_.c_str());
    bound_ = false;
  }
}

}  // namespace reportd::daemon
