#include "jobs/org_clients.hpp"

#include <sodium.h>

namespace reportd::jobs {
namespace {

namespace asio = boost::asio;

enum class Secret { kRefreshToken, kClientSecret };

// Unseals the connection's current refresh token or client secret for one
// token request; the client zeroes its copy right after.
asio::awaitable<Result<std::string>> load_secret(StoreThread* store, const crypto::Vault* vault,
                                                 std::int64_t connection_id, Secret which) {
  auto load = [vault, connection_id, which](store::Store& s) -> Result<std::string> {
    auto c = s.get_connection(connection_id);
    if (!c.ok()) return std::move(c).status();
    const store::Bytes& sealed =
        which == Secret::kRefreshToken ? c->sealed_refresh_token : c->sealed_client_secret;
    if (sealed.empty()) return std::string();
    auto plain = vault->open(sealed, {c->id, c->org_id});
    if (!plain.ok()) {
      return std::move(plain).status().with_context(
          "connection " + c->name +
          (which == Secret::kRefreshToken ? ": refresh token" : ": client secret"));
    }
    return std::string(plain->view());
  };
  co_return co_await store->run(std::move(load));
}

// Seals and stores a refresh token that Salesforce rotated, before the
// client uses what came with it.
asio::awaitable<Status> store_token(StoreThread* store, const crypto::Vault* vault,
                                    std::int64_t connection_id, std::string token) {
  auto save = [vault, connection_id, &token](store::Store& s) -> Status {
    auto c = s.get_connection(connection_id);
    if (!c.ok()) return std::move(c).status();
    crypto::Binding b{c->id, c->org_id};
    auto sealed = vault->seal(std::span(reinterpret_cast<const std::uint8_t*>(token.data()),
                                        token.size()),
                              b);
    return s.update_connection_secrets(c->id, sealed, c->sealed_client_secret,
                                       vault->keys().primary().id);
  };
  Status st = co_await store->run(std::move(save));
  sodium_memzero(token.data(), token.size());
  co_return st;
}

}  // namespace

OrgClients::OrgClients(asio::any_io_executor executor, StoreThread& store,
                       const crypto::Vault& vault, OrgClientOptions options)
    : executor_(std::move(executor)), store_(store), vault_(vault), options_(std::move(options)) {}

std::vector<OrgClients::ClientStats> OrgClients::stats() const {
  std::vector<ClientStats> out;
  for (const auto& [id, client] : clients_) {
    ClientStats s;
    s.connection_id = id;
    s.token_requests = client->session().token_requests();
    s.token_failures = client->session().token_failures();
    s.api_usage = client->api_usage();
    out.push_back(s);
  }
  return out;
}

Result<salesforce::Api*> OrgClients::api_for(const store::Connection& c) {
  if (auto it = clients_.find(c.id); it != clients_.end()) return it->second.get();

  salesforce::RefreshTokenCredential cred;
  cred.client_id = c.client_id;
  StoreThread* store = &store_;
  const crypto::Vault* vault = &vault_;
  std::int64_t id = c.id;
  // Neither secret stays in memory between token requests.
  cred.load_refresh_token = [store, vault, id] {
    return load_secret(store, vault, id, Secret::kRefreshToken);
  };
  cred.load_client_secret = [store, vault, id] {
    return load_secret(store, vault, id, Secret::kClientSecret);
  };
  cred.store_refresh_token = [store, vault, id](std::string token) {
    return store_token(store, vault, id, std::move(token));
  };

  salesforce::ClientOptions o;
  o.login_url = c.login_url;
  o.api_version = options_.api_version;
  o.transport.ca_file = options_.ca_file;
  o.transport.request_timeout = options_.request_timeout;
  auto client = salesforce::Client::create(executor_, std::move(o), std::move(cred));
  if (!client.ok()) return std::move(client).status().with_context("connection " + c.name);
  salesforce::Api* api = client->get();
  clients_.emplace(c.id, std::move(client).value());
  return api;
}

}  // namespace reportd::jobs
