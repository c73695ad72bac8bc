#pragma once
// OrgClients: one salesforce::Client per connected org, built on first use.
// Each client's refresh token is unsealed from the store only when a token
// request is due, and a token Salesforce rotates is sealed and stored before
// it is used (DESIGN.md §4.6). Lives on the event loop's executor.

#include <map>
#include <memory>
#include <optional>
#include <vector>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "crypto/vault.hpp"
#include "jobs/api_provider.hpp"
#include "jobs/store_thread.hpp"
#include "salesforce_client/client.hpp"

namespace reportd::jobs {

struct OrgClientOptions {
  std::string ca_file;          // trusted besides the system store
  std::string api_version = "61.0";
  std::chrono::seconds request_timeout{120};
};

class OrgClients final : public ApiProvider {
 public:
  OrgClients(boost::asio::any_io_executor executor, StoreThread& store, const crypto::Vault& vault,
             OrgClientOptions options);

  // What each client built so far has done, for metrics (event loop).
  struct ClientStats {
    std::int64_t connection_id = 0;
    std::uint64_t token_requests = 0;
    std::uint64_t token_failures = 0;
    std::optional<salesforce::ApiUsage> api_usage;
  };
  std::vector<ClientStats> stats() const;

  Result<salesforce::Api*> api_for(const store::Connection& connection) override;
  // The next api_for() builds a fresh client. The old one is kept, not
  // destroyed: other runs, a sync or a write-back may be suspended inside it.
  void forget(std::int64_t connection_id) override {
    auto it = clients_.find(connection_id);
    if (it == clients_.end()) return;
    retired_.push_back(std::move(it->second));
    clients_.erase(it);
  }

 private:
  boost::asio::any_io_executor executor_;
  StoreThread& store_;
  const crypto::Vault& vault_;
  OrgClientOptions options_;
  std::map<std::int64_t, std::unique_ptr<salesforce::Client>> clients_;
  std::vector<std::unique_ptr<salesforce::Client>> retired_;  // forgotten, maybe still in use
};

}  // namespace reportd::jobs
