#include "daemon/health.hpp"

namespace reportd::daemon {

void Health::beat(Clock::time_point at, const Status& store_write) {
  std::lock_guard lock(mu_);
  last_beat_ = at;
  store_error_ = store_write.ok() ? std::string() : store_write.message();
}

void Health::stopping() {
  std::lock_guard lock(mu_);
  stopping_ = true;
}

HealthVerdict Health::check(Clock::time_point now) const {
  std::lock_guard lock(mu_);
  if (stopping_) return {false, "stopping: the daemon received a stop signal and is draining runs"};
  if (!last_beat_) return {false, "starting: the scheduler loop has not completed a heartbeat yet"};
  auto age = std::chrono::duration_cast<std::chrono::seconds>(now - *last_beat_);
  if (now - *last_beat_ > stale_after_) {
    return {false, "scheduler loop stalled: the last heartbeat was " + std::to_string(age.count()) +
                       " s ago (expected every 5 s)"};
  }
  if (!store_error_.empty()) {
    return {false, "store write failed at the last heartbeat: " + store_error_};
  }
  return {true, "scheduler loop and store alive (last heartbeat " + std::to_string(age.count()) +
                    " s ago)"};
}

}  // namespace reportd::daemon
