#pragma once
// OrgClients: one salesforce::Client per connected org, built on first use.
// Each client's refresh token is unsealed from the store only when a token
// request is due, and a token Salesforce rotates is sealed and stored before
// it is used (DESIGN.md §4.6). Every token response is checked against the
// connection's pinned org first (jobs/connections.hpp): a token of another
// org is refused, and the connection marked org-mismatch. A client is built
// for one (connection id, generation): it is dropped when the row is removed
// or re-authorized, and ids are never reused. Lives on the event loop's
// executor.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "crypto/vault.hpp"
#include "jobs/api_provider.hpp"
#include "store/store_thread.hpp"
#include "salesforce_client/client.hpp"

namespace reportd::jobs {

struct OrgClientOptions {
  std::string ca_file;          // trusted besides the system store
  std::string api_version = "61.0";
  std::chrono::seconds request_timeout{120};
  std::uint64_t max_pages = 0;  // salesforce::ClientOptions::max_pages
  // How long a user's access token (lease_as) is kept in memory at most; a
  // token Salesforce expires sooner is minted again on its 401.
  std::chrono::seconds user_token_ttl{15 * 60};
  // The clock for user_token_ttl (tests move it).
  std::function<std::chrono::steady_clock::time_point()> now = [] {
    return std::chrono::steady_clock::now();
  };
};

class OrgClients final : public ApiProvider {
 public:
  OrgClients(boost::asio::any_io_executor executor, store::StoreThread& store, const crypto::Vault& vault,
             OrgClientOptions options);
  ~OrgClients() override;

  // Awaited once when a token response makes this object mark a connection
  // org-mismatch (the row as marked, with its reason): tell the operator.
  using OnOrgMismatch =
      std::function<boost::asio::awaitable<void>(store::Connection connection)>;
  void set_on_org_mismatch(OnOrgMismatch f) { on_org_mismatch_ = std::move(f); }

  // Drops the client of every connection that `rows` (all connections, as
  // the store holds them now) shows removed, re-authorized or not active.
  // Returns how many clients it dropped.
  std::size_t reconcile(const std::vector<store::Connection>& rows);
  // reconcile() with the store's rows (the daemon calls it when the store
  // changed).
  boost::asio::awaitable<Result<std::size_t>> reload();

  // What each current client has done, for metrics (event loop).
  struct ClientStats {
    std::int64_t connection_id = 0;
    std::uint64_t token_requests = 0;
    std::uint64_t token_failures = 0;
    std::optional<salesforce::ApiUsage> api_usage;
    // JWT bearer grants for users (lease_as) since the connection was first
    // used, and the user tokens held in memory now.
    std::uint64_t user_token_requests = 0;
    std::uint64_t user_token_failures = 0;
    std::size_t user_tokens_cached = 0;
  };
  std::vector<ClientStats> stats() const;

  // The connection's current client, shared: the caller keeps the client
  // (and its token) it started with, even across forget(). Refused for a
  // connection that is not active; a newer `connection.generation` than
  // the client's drops the client first.
  Result<std::shared_ptr<salesforce::Api>> lease(const store::Connection& connection) override;
  // A client per (connection, generation, username), its token minted with
  // the connection's JWT key when first needed and dropped after
  // options.user_token_ttl, when the row changes, or by forget(). Every
  // token response is checked against the pinned org like lease()'s.
  Result<std::shared_ptr<salesforce::Api>> lease_as(const store::Connection& connection,
                                                    const std::string& username) override;
  // The next lease builds a fresh client. The old one is destroyed as soon
  // as no lease holds it any more (at once if none does).
  void forget(std::int64_t connection_id) override;
  // The highest usage any current client of the org (its own, its users')
  // has seen, or that other nodes of the store saw (set_shared_usage()):
  // users' and other nodes' calls count against the same allocation.
  std::optional<salesforce::ApiUsage> org_usage(std::int64_t connection_id) const override;
  // What this node's own clients saw (org_usage() without other nodes').
  std::optional<salesforce::ApiUsage> local_usage(std::int64_t connection_id) const;
  // The org usage other nodes saw, by connection id (the heartbeat reads it
  // from the store: store::Store::list_api_usage()); replaces the last.
  void set_shared_usage(std::map<std::int64_t, salesforce::ApiUsage> by_connection) {
    shared_usage_ = std::move(by_connection);
  }

  // Forgotten clients that a lease still holds.
  std::size_t retired() const;

  // Closes every current client's kept-alive connections that have been idle
  // longer than salesforce::TransportOptions::max_idle_time (the daemon's
  // heartbeat calls it); each org's connections stay its own. Returns how many.
  std::size_t close_stale_connections();

 private:
  struct Org {
    std::string name, client_id, login_url;  // to build the next client
    std::int64_t generation = 0;  // of the row the client is built for
    Status refused;  // a token of another org was refused: no new client until re-authorized
    std::shared_ptr<salesforce::Client> client;  // null after forget()
    std::string jwt_client_id;  // empty: no JWT bearer configuration
    struct User {
      std::shared_ptr<salesforce::Client> client;
      std::chrono::steady_clock::time_point built;
    };
    std::map<std::string, User> users;  // by username
    // Token requests of user clients already dropped (metrics stay monotonic).
    std::uint64_t user_requests_dropped = 0, user_failures_dropped = 0;
  };
  void drop_user(Org& org, std::map<std::string, Org::User>::iterator it);
  salesforce::ClientOptions client_options(std::int64_t connection_id, const Org& org);
  Org& org(const store::Connection& connection);
  void retire(Org& org);
  // Org pinning for every token response of the client built for
  // (connection_id, generation).
  boost::asio::awaitable<Status> accept(std::int64_t connection_id, std::int64_t generation,
                                        std::string where, salesforce::TokenIdentity identity);
  // The connection's current client, built when there is none (org() first).
  Result<std::shared_ptr<salesforce::Client>> client(std::int64_t connection_id);

  boost::asio::any_io_executor executor_;
  store::StoreThread& store_;
  const crypto::Vault& vault_;
  OrgClientOptions options_;
  OnOrgMismatch on_org_mismatch_;
  std::map<std::int64_t, Org> orgs_;
  std::map<std::int64_t, salesforce::ApiUsage> shared_usage_;  // set_shared_usage()
  // Forgotten clients, watched only; expired entries are pruned on forget().
  std::vector<std::weak_ptr<salesforce::Client>> retired_;
};

}  // namespace reportd::jobs
