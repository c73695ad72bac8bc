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

TEST_CASE("wipe_bytes zeroes exactly the bytes given; null and empty are fine") {
  char buf[8] = {'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'};
  wipe_bytes(buf + 2, 4);
  CHECK(std::string(buf, 8) == std::string("ab\0\0\0\0gh", 8));
  wipe_bytes(nullptr, 5);
  wipe_bytes(buf, 0);
  CHECK(buf[0] == 'a');
}

TEST_CASE("reserve_wiped keeps the bytes, grows at least twofold, and stays put when there is room") {
  std::string s = "first row of a sheet";
  s.reserve(64);
  const char* before = s.data();
  reserve_wiped(s, 10);
  CHECK(s.data() == before);
  CHECK(s == "first row of a sheet");

  const std::size_t capacity = s.capacity();
  reserve_wiped(s, capacity);
  CHECK(s == "first row of a sheet");
  CHECK(s.capacity() >= 2 * capacity);
  CHECK(s.capacity() - s.size() >= capacity);
}

}  // namespace
}  // namespace reportd
