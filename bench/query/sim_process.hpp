#pragma once
// Runs reportd-sfsim as a child process for the benchmark: reads its base
// URL (first stdout line) and org.json; SIGTERM on destruction.

#include <sys/types.h>

#include <string>
#include <vector>

namespace reportd::bench {

class SimProcess {
 public:
  // Throws std::runtime_error when the simulator does not start.
  SimProcess(const std::string& binary, const std::vector<std::string>& flags);
  ~SimProcess();
  SimProcess(const SimProcess&) = delete;
  SimProcess& operator=(const SimProcess&) = delete;

  std::string base_url, state_dir, ca_file;
  std::string login_url, client_id, client_secret, refresh_token;

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
};

}  // namespace reportd::bench
