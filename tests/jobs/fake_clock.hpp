#pragma once
// FakeClock: a Clock that tests move by hand, instantly. advance() moves wall
// and steady time together; step_wall() moves only the wall clock, as an NTP
// step or a suspend would.

#include "jobs/clock.hpp"

namespace reportd::jobs::test {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(WallTime start) : wall_(start) {}
  WallTime wall_now() override { return wall_; }
  SteadyTime steady_now() override { return steady_; }
  void advance(std::chrono::milliseconds d) {
    wall_ += d;
    steady_ += d;
  }
  void step_wall(std::chrono::milliseconds d) { wall_ += d; }
  void set_wall(WallTime t) { advance(t - wall_); }

 private:
  WallTime wall_;
  SteadyTime steady_{};
};

}  // namespace reportd::jobs::test
