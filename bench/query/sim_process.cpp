#include "sim_process.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace reportd::bench {

SimProcess::SimProcess(const std::string& binary, const std::vector<std::string>& flags) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "reportd-bench-sim-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  state_dir = tmpl;
  int out[2];
  if (pipe(out) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> args = {binary, "--listen", "127.0.0.1:0", "--state-dir", state_dir};
  args.insert(args.end(), flags.begin(), flags.end());
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(out[1]);
  stdout_fd_ = out[0];
  std::string line;
  pollfd pfd{out[0], POLLIN, 0};
  while (line.find('\n') == std::string::npos && poll(&pfd, 1, 30'000) > 0) {
    char buf[256];
    ssize_t n = read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    line.append(buf, static_cast<std::size_t>(n));
  }
  line = line.substr(0, line.find('\n'));
  if (line.rfind("https://", 0) != 0)
    throw std::runtime_error("simulator did not start: " + binary);
  base_url = line;
  ca_file = state_dir + "/ca.pem";
  std::ifstream f(state_dir + "/org.json");
  std::stringstream ss;
  ss << f.rdbuf();
  auto org = boost::json::parse(ss.str()).as_object();
  auto s = [&](const char* k) { return std::string(org.at(k).as_string()); };
  login_url = s("login_url");
  client_id = s("client_id");
  client_secret = s("client_secret");
  refresh_token = s("refresh_token");
}

SimProcess::~SimProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
  std::error_code ec;
  std::filesystem::remove_all(state_dir, ec);
}

}  // namespace reportd::bench
