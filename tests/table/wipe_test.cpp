#include "table/wipe.hpp"

#include <doctest/doctest.h>

namespace reportd {
namespace {

TEST_CASE("wipe zeroes the whole allocation, also past the current size") {
  std::string s(200, 'Q');
  const char* block = s.data();
  s.resize(10);  // the bytes past the size still hold 'Q'
  const std::size_t capacity = s.capacity();
  REQUIRE(capacity >= 200);
  wipe(s);
  CHECK(s.empty());
  CHECK(s.data() == block);  // kept, so it can be checked (and reused)
  for (std::size_t i = 0; i < capacity; ++i) REQUIRE(block[i] == '\0');
}

TEST_CASE("wipe_and_free releases the allocation") {
  std::string s(300, 'Q');
  wipe_and_free(s);
  CHECK(s.empty());
  CHECK(s.capacity() < 300);
}

}  // namespace
}  // namespace reportd
