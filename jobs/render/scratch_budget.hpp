#pragma once
// ScratchBudget: the bytes every run's scratch holds together, against one
// cap for the whole process (limits.scratch_budget_bytes). Each Scratch
// reserves before it grows and releases what it frees, so N concurrent runs
// can never hold more than the budget between them. A reservation that does
// not fit fails at once: the run fails `too-large` instead of waiting, since
// runs that wait for each other's bytes while holding their own would
// deadlock. Thread-safe (runs grow their scratch on the event loop and on the
// pipeline's CPU thread); owned by main, outlives every Scratch.

#include <atomic>
#include <cstdint>

namespace reportd::render {

class ScratchBudget {
 public:
  // `cap_bytes` 0: no global cap (used and high_water are still counted).
  explicit ScratchBudget(std::uint64_t cap_bytes) : cap_(cap_bytes) {}
  ScratchBudget(const ScratchBudget&) = delete;
  ScratchBudget& operator=(const ScratchBudget&) = delete;

  // Takes `bytes` more; false (nothing taken) when used + bytes > cap.
  [[nodiscard]] bool reserve(std::uint64_t bytes);
  // Gives back bytes taken by reserve().
  void release(std::uint64_t bytes);

  std::uint64_t cap() const { return cap_.load(); }
  // Applies a reloaded config; runs already over a lower cap keep what they hold.
  void set_cap(std::uint64_t cap_bytes) { cap_.store(cap_bytes); }
  std::uint64_t used() const { return used_.load(); }
  // The most `used` ever was since start.
  std::uint64_t high_water() const { return high_water_.load(); }

 private:
  std::atomic<std::uint64_t> cap_;
  std::atomic<std::uint64_t> used_{0};
  std::atomic<std::uint64_t> high_water_{0};
};

}  // namespace reportd::render
