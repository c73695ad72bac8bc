# One INTERFACE target carries the warning set (STYLE.md rule 4).
# The Debian package turns -Werror off: dpkg's hardening flags
# (_FORTIFY_SOURCE, -O2 with -O3) raise warnings the presets do not.
option(REPORTD_WERROR "Treat compiler warnings as errors" ON)
add_library(reportd_warnings INTERFACE)
target_compile_options(reportd_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion $<$<BOOL:${REPORTD_WERROR}>:-Werror>
  # GCC 12 false positives in Asio coroutine frames.
  -Wno-mismatched-new-delete -Wno-maybe-uninitialized
  # GCC 12 false positive in std::string concatenation at -O3 (GCC PR105651).
  -Wno-restrict
  # GCC 12 under -fsanitize=thread: Asio's std::atomic_thread_fence is not
  # modelled by TSan (-Wtsan); Asio's own synchronisation is what TSan checks.
  -Wno-tsan
  # A unity build (the sanitizer presets) includes each .cpp into a batch file,
  # so GCC takes a coroutine frame holding a type from the .cpp's anonymous
  # namespace for one from a header.
  $<$<BOOL:${CMAKE_UNITY_BUILD}>:-Wno-subobject-linkage>)
