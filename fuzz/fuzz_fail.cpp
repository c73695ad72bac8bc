// fuzz_fail() for targets linked with libFuzzer, which saves the input of
// an abort itself.
#include <cstdio>
#include <cstdlib>

#include "fuzz/fuzz_check.hpp"

void fuzz_fail(const char* what) {
  std::fprintf(stderr, "%s\n", what);
  std::abort();
}
