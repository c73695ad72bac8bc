# One INTERFACE target carries the warning set (STYLE.md rule 4).
add_library(reportd_warnings INTERFACE)
target_compile_options(reportd_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror
  # GCC 12 false positives in Asio coroutine frames.
  -Wno-mismatched-new-delete -Wno-maybe-uninitialized
  # GCC 12 false positive in std::string concatenation at -O3 (GCC PR105651).
  -Wno-restrict)
