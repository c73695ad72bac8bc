#pragma once
// Health: whether the daemon's scheduler loop and its store are alive, for
// /healthz. The event loop calls beat() after every heartbeat (it writes the
// daemon state to the store every 5 s); httplib's threads call check().
// Thread-safe: one mutex.

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "table/status.hpp"

namespace reportd::daemon {

struct HealthVerdict {
  bool ok = false;
  std::string reason;  // why not, or what was checked; for people
};

class Health {
 public:
  using Clock = std::chrono::steady_clock;

  // A heartbeat older than `stale_after` means the loop or the store stalled.
  explicit Health(std::chrono::milliseconds stale_after) : stale_after_(stale_after) {}

  // The event loop finished a heartbeat at `at`; `store_write` is how the
  // store write went.
  void beat(Clock::time_point at, const Status& store_write);
  // The daemon is stopping: /healthz says so.
  void stopping();

  HealthVerdict check(Clock::time_point now) const;

 private:
  mutable std::mutex mu_;
  std::chrono::milliseconds stale_after_;
  std::optional<Clock::time_point> last_beat_;
  std::string store_error_;  // empty: the last store write succeeded
  bool stopping_ = false;
};

}  // namespace reportd::daemon
