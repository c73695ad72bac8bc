#include "jobs/render/scratch_budget.hpp"

namespace reportd::render {

bool ScratchBudget::reserve(std::uint64_t bytes) {
  std::uint64_t used = used_.load();
  std::uint64_t next = 0;
  do {
    next = used + bytes;
    std::uint64_t cap = cap_.load();
    if (cap != 0 && next > cap) return false;
  } while (!used_.compare_exchange_weak(used, next));
  std::uint64_t high = high_water_.load();
  while (next > high && !high_water_.compare_exchange_weak(high, next)) {
  }
  return true;
}

void ScratchBudget::release(std::uint64_t bytes) {
  std::uint64_t used = used_.load();
  while (!used_.compare_exchange_weak(used, used >= bytes ? used - bytes : 0)) {
  }
}

}  // namespace reportd::render
