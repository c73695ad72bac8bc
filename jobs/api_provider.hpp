#pragma once
// ApiProvider: hands the run pipeline the Salesforce Api of a connection.
// OrgClients (org_clients.hpp) is the real one; tests pass fakes. Lives on
// the event loop's executor.

#include <memory>

#include "salesforce_client/api.hpp"
#include "store/records.hpp"
#include "table/status.hpp"

namespace reportd::jobs {

class ApiProvider {
 public:
  virtual ~ApiProvider() = default;
  // The Api for `connection`, created on first use and kept for later runs.
  // The pointer stays valid until forget() or the provider's destruction.
  virtual Result<salesforce::Api*> api_for(const store::Connection& connection) = 0;
  // The same Api, shared with the caller: it stays alive, and keeps its
  // token, until the caller drops it, even if forget() is called meanwhile.
  // A run holds one for its whole length. By default api_for(), not owned.
  virtual Result<std::shared_ptr<salesforce::Api>> lease(const store::Connection& connection) {
    auto api = api_for(connection);
    if (!api.ok()) return api.status();
    return std::shared_ptr<salesforce::Api>(std::shared_ptr<salesforce::Api>(), *api);
  }
  // Drops a connection's client (removed, or its credentials changed).
  virtual void forget(std::int64_t connection_id) = 0;
};

}  // namespace reportd::jobs
