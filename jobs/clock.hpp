#pragma once
// Clock: the scheduler's view of time, injected (STYLE.md rule 21). Wall time
// decides when occurrences are due; steady time measures real elapsed time,
// so a wall-clock step (NTP, suspend, an operator) shows as a difference.
// SystemClock reads the real clocks; tests use a fake that moves instantly.

#include <chrono>

namespace reportd::jobs {

class Clock {
 public:
  using WallTime = std::chrono::sys_time<std::chrono::milliseconds>;
  using SteadyTime = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  virtual WallTime wall_now() = 0;
  virtual SteadyTime steady_now() = 0;
};

class SystemClock final : public Clock {
 public:
  WallTime wall_now() override {
    return std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
  }
  SteadyTime steady_now() override { return std::chrono::steady_clock::now(); }
};

}  // namespace reportd::jobs
