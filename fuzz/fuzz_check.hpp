#pragma once
// What every parser fuzz target shares: the libFuzzer entry point's
// declaration and fuzz_fail(), which reports a broken property (not a
// crash: the sanitizers report those) with the input that broke it.
// Built with libFuzzer (clang, -fsanitize=fuzzer) the failing input is saved
// by libFuzzer; built with fuzz_main.cpp, the driver saves it.

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

// Prints `what`, saves the current input and aborts.
[[noreturn]] void fuzz_fail(const char* what);

#define FUZZ_CHECK(cond)                                              \
  do {                                                                \
    if (!(cond)) fuzz_fail(__FILE__ ": property broken: " #cond);     \
  } while (0)
