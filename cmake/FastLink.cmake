# Linking the sanitizer builds with GNU ld takes about 10 CPU seconds per
# executable, and the suite links about forty. mold (Debian's `mold`) links
# the same objects in a fraction of that; without it the default linker is
# kept. REPORTD_LINKER=default turns the choice off.
set(REPORTD_LINKER "auto" CACHE STRING "Linker for executables: auto (mold if found) or default")
if(REPORTD_LINKER STREQUAL "auto")
  find_program(REPORTD_MOLD mold)
  if(REPORTD_MOLD)
    add_link_options(-fuse-ld=mold)
  endif()
endif()
