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
  void* do_allocate(std::size_t bytes, std::size_t align) override {
    return ::operator new(bytes, std::align_val_t(align));
  }
  void do_deallocate(void* p, std::size_t bytes, std::size_t align) override {
    reportd::wipe_bytes(p, bytes);
    ::operator delete(p, bytes, std::align_val_t(align));
  }
  bool do_is_equal(const memory_resource& other) const noexcept override { return this == &other; }
};

}  // namespace reportd::salesforce
