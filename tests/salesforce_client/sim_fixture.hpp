#pragma once
// Test fixture: runs reportd-sfsim from the build tree as a child process
// (one per test case), reads its base URL from the first stdout line and
// org.json from its state dir, and kills it on destruction. Also a test
// token store and helpers to build a Client and run a coroutine to the end.

#include <sys/types.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "salesforce_client/client.hpp"

namespace reportd::salesforce::testing {

class SimProcess {
 public:
  // Starts the simulator with `flags`; nullptr (and a doctest MESSAGE) when
  // the binary is not built.
  static std::unique_ptr<SimProcess> start(std::vector<std::string> flags);
  ~SimProcess();

  std::string base_url;  // https://127.0.0.1:PORT
  std::string state_dir;
  std::string ca_file;
  std::string login_url, instance_url, client_id, client_secret, refresh_token, username, org_id;

 private:
  SimProcess() = default;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
};

// Refresh-token store double: records what the client loaded and stored.
struct TokenStore {
  std::string token;
  std::vector<std::string> loaded;
  std::vector<std::string> stored;
  bool fail_store = false;
  boost::asio::awaitable<Result<std::string>> load();
  boost::asio::awaitable<Status> store(std::string new_token);
};

// A client for the simulator's org using `store` (its token is set from org.json).
std::unique_ptr<Client> make_client(boost::asio::io_context& io, const SimProcess& sim,
                                    TokenStore& store, ClientOptions options = {});

template <class T>
boost::asio::awaitable<void> store_into(boost::asio::awaitable<T> op, std::optional<T>* out) {
  out->emplace(co_await std::move(op));
}

// Runs `op` on `io` to completion; rethrows what it threw.
template <class T>
T run(boost::asio::io_context& io, boost::asio::awaitable<T> op) {
  std::optional<T> out;
  std::exception_ptr error;
  boost::asio::co_spawn(io, store_into(std::move(op), &out),
                        [&error](std::exception_ptr e) { error = e; });
  io.restart();
  io.run();
  if (error) std::rethrow_exception(error);
  return std::move(*out);
}

// Peak resident set size of this process (VmHWM), in KiB.
long peak_rss_kib();
// Resets VmHWM to the current RSS (Linux clear_refs), so a later peak
// measures one phase only. Returns false where unsupported.
bool reset_peak_rss();

}  // namespace reportd::salesforce::testing
