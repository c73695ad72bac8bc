#pragma once
// A Boost.JSON memory resource that zeroes every block before freeing it:
// for documents that hold record values (DESIGN.md §4.5). Not thread-safe
// beyond what operator new is; one document's owner.

#include "table/wipe.hpp"

#include <boost/json/memory_resource.hpp>
#include <new>

namespace reportd::salesforce {

class ZeroingResource final : public boost::json::memory_resource {
 private:
  // Boost.JSON 1.81 may free a block with another alignment than it asked
  // for (a key's characters: 1, then 16), so the aligned operators are used
  // only past operator new's own alignment, where both sides agree; mixing
  // them is undefined (ASan: new-delete-type-mismatch; found by
  // fuzz/report_fuzz.cpp).
  static bool over_aligned(std::size_t align) { return align > __STDCPP_DEFAULT_NEW_ALIGNMENT__; }
  void* do_allocate(std::size_t bytes, std::size_t align) override {
    if (over_aligned(align)) return ::operator new(bytes, std::align_val_t(align));
    return ::operator new(bytes);
  }
  void do_deallocate(void* p, std::size_t bytes, std::size_t align) override {
    reportd::wipe_bytes(p, bytes);
    if (over_aligned(align)) {
      ::operator delete(p, std::align_val_t(align));
    } else {
      ::operator delete(p);
    }
  }
  bool do_is_equal(const memory_resource& other) const noexcept override { return this == &other; }
};

}  // namespace reportd::salesforce
