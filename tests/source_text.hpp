#pragma once
// Test helper: the text of a file in the source tree (REPORTD_SOURCE_DIR,
// which ctest sets), for tables shared with tests in other languages.

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <doctest/doctest.h>

namespace reportd::test {

inline std::string source_text(const std::string& relative) {
  const char* dir = std::getenv("REPORTD_SOURCE_DIR");
  REQUIRE_MESSAGE(dir != nullptr, "REPORTD_SOURCE_DIR is not set (ctest sets it)");
  std::ifstream in(std::string(dir) + "/" + relative);
  REQUIRE_MESSAGE(in.good(), "cannot read " << relative);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace reportd::test
