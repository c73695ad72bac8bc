#pragma once
// A key ring with one fresh master key, for tests that seal with a real vault.

#include <doctest/doctest.h>

#include <vector>

#include "crypto/key_ring.hpp"

namespace reportd::testing {

inline crypto::KeyRing one_key() {
  REQUIRE(crypto::init_sodium());
  std::vector<crypto::MasterKey> keys;
  keys.push_back(crypto::generate_key());
  return crypto::KeyRing(std::move(keys));
}

}  // namespace reportd::testing
