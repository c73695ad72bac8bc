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
  std::uint64_t max_pages = 0;  // salesforce::ClientOptions::max_pages
};

class OrgClients final : public ApiProvider {
 public:
  OrgClients(boost::asio::any_io_executor executor, StoreThread& store, const crypto::Vault& vault,
             OrgClientOptions options);
  ~OrgClients() override;

  // What each current client has done, for metrics (event loop).
  struct ClientStats {
    std::int64_t connection_id = 0;
    std::uint64_t token_requests = 0;
    std::uint64_t token_failures = 0;
    std::optional<salesforce::ApiUsage> api_usage;
  };
  std::vector<ClientStats> stats() const;

  // A stable per-connection handle that lives as long as this object. Each
  // call through it holds the connection's current client for the length
  // of the call, and builds a new one after forget(). So a sync or
  // write-back that keeps the pointer across suspensions never uses a
  // destroyed client.
  Result<salesforce::Api*> api_for(const store::Connection& connection) override;
  // The current client itself, shared: a run keeps the client (and its
  // token) it started with, even across forget().
  Result<std::shared_ptr<salesforce::Api>> lease(const store::Connection& connection) override;
  // The next call or lease builds a fresh client. The old one is destroyed
  // as soon as no call and no lease holds it any more (at once if none does).
  void forget(std::int64_t connection_id) override;

  // Forgotten clients that a call or a lease still holds.
  std::size_t retired() const;

 private:
  class Handle;
  struct Org {
    std::string name, client_id, login_url;  // to build the next client
    std::shared_ptr<salesforce::Client> client;  // null after forget()
    std::unique_ptr<Handle> handle;
  };
  Org& org(const store::Connection& connection);
  // The connection's current client, built when there is none.
  Result<std::shared_ptr<salesforce::Client>> client(std::int64_t connection_id);

  boost::asio::any_io_executor executor_;
  StoreThread& store_;
  const crypto::Vault& vault_;
  OrgClientOptions options_;
  std::map<std::int64_t, Org> orgs_;
  // Forgotten clients, watched only; expired entries are pruned on forget().
  std::vector<std::weak_ptr<salesforce::Client>> retired_;
};

}  // namespace reportd::jobs
