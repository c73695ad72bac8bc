#include "sim_fixture.hpp"

#include <doctest/doctest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace reportd::salesforce::testing {
namespace fs = std::filesystem;

namespace {
std::string build_dir() {
  const char* d = std::getenv("REPORTD_BUILD_DIR");
  return d ? d : ".";
}
boost::asio::awaitable<Result<std::string>> constant(std::string value) { co_return value; }

}  // namespace

std::unique_ptr<SimProcess> SimProcess::start(std::vector<std::string> flags) {
  const std::string bin = build_dir() + "/reportd-sfsim";
  if (access(bin.c_str(), X_OK) != 0) {
    MESSAGE("reportd-sfsim not built at " << bin << "; skipping");
    return nullptr;
  }
  std::unique_ptr<SimProcess> sim(new SimProcess);
  std::string tmpl = (fs::temp_directory_path() / "reportd-sfsim-XXXXXX").string();
  REQUIRE(mkdtemp(tmpl.data()) != nullptr);
  sim->state_dir = tmpl;
  int out[2];
  REQUIRE(pipe(out) == 0);
  std::vector<std::string> args = {bin, "--listen", "127.0.0.1:0", "--state-dir", sim->state_dir};
  args.insert(args.end(), flags.begin(), flags.end());
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  close(out[1]);
  sim->pid_ = pid;
  // First line: the base URL. Wait at most 30 s.
  std::string line;
  pollfd pfd{out[0], POLLIN, 0};
  while (line.find('\n') == std::string::npos) {
    if (poll(&pfd, 1, 30'000) <= 0) break;
    char buf[256];
    ssize_t n = read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    line.append(buf, static_cast<std::size_t>(n));
  }
  sim->stdout_fd_ = out[0];  // kept open so that later output cannot SIGPIPE the sim
  line = line.substr(0, line.find('\n'));
  REQUIRE_MESSAGE(line.rfind("https://", 0) == 0, "simulator did not start: '" << line << "'");
  sim->base_url = line;
  sim->ca_file = sim->state_dir + "/ca.pem";
  std::ifstream org(sim->state_dir + "/org.json");
  std::stringstream ss;
  ss << org.rdbuf();
  auto v = boost::json::parse(ss.str()).as_object();
  auto s = [&](const char* k) {
    auto* f = v.if_contains(k);
    return f && f->is_string() ? std::string(f->get_string()) : std::string();
  };
  sim->login_url = s("login_url");
  sim->instance_url = s("instance_url");
  sim->client_id = s("client_id");
  sim->client_secret = s("client_secret");
  sim->refresh_token = s("refresh_token");
  sim->username = s("username");
  sim->org_id = s("org_id");
  return sim;
}

SimProcess::~SimProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 50 && waitpid(pid_, &status, WNOHANG) == 0; ++i) usleep(100'000);
    if (waitpid(pid_, &status, WNOHANG) == 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
  std::error_code ec;
  if (!state_dir.empty()) fs::remove_all(state_dir, ec);
}

boost::asio::awaitable<Result<std::string>> TokenStore::load() {
  loaded.push_back(token);
  co_return token;
}

boost::asio::awaitable<Status> TokenStore::store(std::string new_token) {
  if (fail_store) co_return Status::error(ErrorKind::kIo, "store: disk full", "io");
  stored.push_back(new_token);
  token = std::move(new_token);
  co_return Status();
}

std::unique_ptr<Client> make_client(boost::asio::io_context& io, const SimProcess& sim,
                                    TokenStore& store, ClientOptions options) {
  if (store.token.empty()) store.token = sim.refresh_token;
  options.login_url = sim.login_url;
  if (options.transport.ca_file.empty()) options.transport.ca_file = sim.ca_file;
  RefreshTokenCredential cred;
  cred.client_id = sim.client_id;
  cred.load_client_secret = [secret = sim.client_secret] { return constant(secret); };
  cred.load_refresh_token = [&store] { return store.load(); };
  cred.store_refresh_token = [&store](std::string t) { return store.store(std::move(t)); };
  auto client = Client::create(io.get_executor(), std::move(options), std::move(cred));
  REQUIRE_MESSAGE(client.ok(), (client.ok() ? "" : client.status().message()));
  return std::move(client.value());
}

long peak_rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

bool reset_peak_rss() {
  std::ofstream f("/proc/self/clear_refs");
  f << "5";
  return static_cast<bool>(f);
}

}  // namespace reportd::salesforce::testing
