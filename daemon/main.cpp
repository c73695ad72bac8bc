// reportd: the executable is the libraries plus this main (STYLE.md rule 1).
#include <sys/prctl.h>

#include <exception>
#include <iostream>

#include "crypto/secure_buffer.hpp"
#include "daemon/commands.hpp"

int main(int argc, char** argv) {
  // No core dumps and no ptrace by other users: process memory holds keys,
  // tokens and, during a run, customer data (DESIGN.md §4.5).
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (!reportd::crypto::init_sodium()) {
    std::cerr << "reportd: libsodium failed to initialise\n";
    return 1;
  }
  try {
    return reportd::daemon::run_cli(argc, argv, std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "reportd: internal error: " << e.what() << "\n";
    return 70;
  }
}
