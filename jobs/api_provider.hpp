#pragma once
// ApiProvider: hands the run pipeline the Salesforce Api of a connection.
// OrgClients (org_clients.hpp) is the real one; tests pass fakes. Lives on
// the event loop's executor.

#include <memory>
#include <optional>
#include <string>

#include "salesforce_client/api.hpp"
#include "store/records.hpp"
#include "table/status.hpp"

namespace reportd::jobs {

class ApiProvider {
 public:
  virtual ~ApiProvider() = default;
  // The Api of `connection`, shared with the caller: created on first use
  // and kept for later callers while it is current. It stays alive, and
  // keeps its token, until the last caller drops it, even if forget() is
  // called meanwhile. A run, a sync and a write-back each hold one for their
  // whole length.
  virtual Result<std::shared_ptr<salesforce::Api>> lease(const store::Connection& connection) = 0;
  // The Api of `connection` acting as the org user `username`, through the
  // connection's JWT bearer configuration (DESIGN.md §4.9). Held like
  // lease(). Refused (kPermanent, code "run-as-no-jwt") when the connection
  // has none; this default refuses every user.
  virtual Result<std::shared_ptr<salesforce::Api>> lease_as(const store::Connection& connection,
                                                            const std::string& username) {
    (void)username;
    return Status::error(ErrorKind::kPermanent,
                         "connection " + connection.name + " cannot run as a user here",
                         "run-as-no-jwt");
  }
  // The org's API usage as the newest of its clients learned it (the
  // allocation is the org's, whichever user calls); this default: nullopt.
  virtual std::optional<salesforce::ApiUsage> org_usage(std::int64_t connection_id) const {
    (void)connection_id;
    return std::nullopt;
  }
  // Drops a connection's client (removed, or its credentials changed): the
  // next lease gets a fresh one; leases already out keep theirs.
  virtual void forget(std::int64_t connection_id) = 0;
};

}  // namespace reportd::jobs
