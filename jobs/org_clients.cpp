#include "jobs/org_clients.hpp"
#include "table/wipe.hpp"

#include <sodium.h>

#include "jobs/connections.hpp"
#include "salesforce_client/jwt_key.hpp"

namespace reportd::jobs {
namespace {

namespace asio = boost::asio;

// Unseals the connection's current refresh token or client secret for one
// token request; the client zeroes its copy right after.
asio::awaitable<Result<std::string>> load_secret(store::StoreThread* store, const crypto::Vault* vault,
                                                 std::int64_t connection_id, Secret which) {
  auto load = [vault, connection_id, which](store::Store& s) -> Result<std::string> {
    auto c = s.get_connection(connection_id);
    if (!c.ok()) return std::move(c).status();
    auto plain = open_secret(*vault, *c, which);
    if (!plain.ok()) return std::move(plain).status();
    return std::string(plain->view());
  };
  co_return co_await store->run(std::move(load));
}

// Seals and stores a refresh token that Salesforce rotated, before the
// client uses what came with it.
asio::awaitable<Status> store_token(store::StoreThread* store, const crypto::Vault* vault,
                                    std::int64_t connection_id, std::string token) {
  auto save = [vault, connection_id, &token](store::Store& s) -> Status {
    return rotate(s, *vault, connection_id, token);
  };
  Status st = co_await store->run(std::move(save));
  wipe(token);
  co_return st;
}

}  // namespace

OrgClients::OrgClients(asio::any_io_executor executor, store::StoreThread& store,
                       const crypto::Vault& vault, OrgClientOptions options)
    : executor_(std::move(executor)), store_(store), vault_(vault), options_(std::move(options)) {}

OrgClients::~OrgClients() = default;

std::vector<OrgClients::ClientStats> OrgClients::stats() const {
  std::vector<ClientStats> out;
  for (const auto& [id, o] : orgs_) {
    ClientStats s;
    s.connection_id = id;
    s.user_token_requests = o.user_requests_dropped;
    s.user_token_failures = o.user_failures_dropped;
    for (const auto& [name, u] : o.users) {
      s.user_token_requests += u.client->session().token_requests();
      s.user_token_failures += u.client->session().token_failures();
    }
    s.user_tokens_cached = o.users.size();
    if (o.client) {
      s.token_requests = o.client->session().token_requests();
      s.token_failures = o.client->session().token_failures();
      s.api_usage = o.client->api_usage();
    } else if (s.user_token_requests == 0) {
      continue;
    }
    out.push_back(s);
  }
  return out;
}

OrgClients::Org& OrgClients::org(const store::Connection& c) {
  Org& o = orgs_[c.id];
  // A caller with an older copy of the row still gets the current client
  // (it loads the current secrets); a newer one drops the old client.
  if (c.generation > o.generation) {
    retire(o);
    o.generation = c.generation;
    o.refused = Status();
  }
  o.name = c.name;
  o.client_id = c.client_id;
  o.login_url = c.login_url;
  o.jwt_client_id = c.jwt.configured() ? c.jwt.client_id : std::string();
  return o;
}

Result<std::shared_ptr<salesforce::Api>> OrgClients::lease(const store::Connection& c) {
  if (Status st = usable(c); !st.ok()) return st;
  org(c);
  auto built = client(c.id);
  if (!built.ok()) return built.status();
  return std::shared_ptr<salesforce::Api>(std::move(built).value());
}

std::optional<salesforce::ApiUsage> OrgClients::org_usage(std::int64_t connection_id) const {
  std::optional<salesforce::ApiUsage> out = local_usage(connection_id);
  auto shared = shared_usage_.find(connection_id);
  if (shared != shared_usage_.end() && (!out || shared->second.used > out->used)) {
    out = shared->second;
  }
  return out;
}

std::optional<salesforce::ApiUsage> OrgClients::local_usage(std::int64_t connection_id) const {
  auto it = orgs_.find(connection_id);
  if (it == orgs_.end()) return std::nullopt;
  std::optional<salesforce::ApiUsage> out;
  auto take = [&out](const std::shared_ptr<salesforce::Client>& c) {
    auto u = c ? c->api_usage() : std::nullopt;
    if (u && (!out || u->used > out->used)) out = u;
  };
  take(it->second.client);
  for (const auto& [name, u] : it->second.users) take(u.client);
  return out;
}

void OrgClients::forget(std::int64_t connection_id) {
  auto it = orgs_.find(connection_id);
  if (it != orgs_.end()) retire(it->second);
}

Result<std::shared_ptr<salesforce::Api>> OrgClients::lease_as(const store::Connection& c,
                                                              const std::string& username) {
  if (Status st = usable(c); !st.ok()) return st;
  Org& o = org(c);
  if (!o.refused.ok()) return o.refused;
  if (o.jwt_client_id.empty()) {
    return Status::error(ErrorKind::kPermanent,
                         "connection " + c.name + " has no JWT bearer configuration, so no run " +
                             "can act as " + username + "; the operator should set one: " +
                             "`reportd connections set " + c.name +
                             " --jwt-consumer-key KEY --jwt-key-file PATH`",
                         "run-as-no-jwt");
  }
  const auto now = options_.now();
  // Tokens past their time are dropped before anyone can use them again.
  // So are clients whose grant Salesforce refused: the next run asks again
  // (an admin may have fixed the user meanwhile), once.
  for (auto it = o.users.begin(); it != o.users.end();) {
    auto next = std::next(it);
    const salesforce::Session& session = it->second.client->session();
    if (now - it->second.built >= options_.user_token_ttl || session.token_failures() > 0) {
      drop_user(o, it);
    }
    it = next;
  }
  if (auto it = o.users.find(username); it != o.users.end()) {
    return std::shared_ptr<salesforce::Api>(it->second.client);
  }

  salesforce::JwtCredential cred;
  cred.client_id = o.jwt_client_id;
  cred.username = username;
  cred.audience = salesforce::jwt_audience(o.login_url);
  store::StoreThread* store = &store_;
  const crypto::Vault* vault = &vault_;
  const std::int64_t id = c.id;
  // The key stays sealed in the store between token requests.
  cred.load_private_key_pem = [store, vault, id] {
    return load_secret(store, vault, id, Secret::kJwtKey);
  };
  auto created = salesforce::Client::create(executor_, client_options(id, o), std::move(cred));
  if (!created.ok()) return std::move(created).status().with_context("connection " + o.name);
  std::shared_ptr<salesforce::Client> client(std::move(created).value());
  o.users[username] = Org::User{client, now};
  return std::shared_ptr<salesforce::Api>(std::move(client));
}

void OrgClients::drop_user(Org& o, std::map<std::string, Org::User>::iterator it) {
  o.user_requests_dropped += it->second.client->session().token_requests();
  o.user_failures_dropped += it->second.client->session().token_failures();
  retired_.push_back(it->second.client);
  o.users.erase(it);  // the token goes with the last lease
}

void OrgClients::retire(Org& o) {
  std::erase_if(retired_, [](const std::weak_ptr<salesforce::Client>& w) { return w.expired(); });
  while (!o.users.empty()) drop_user(o, o.users.begin());
  if (!o.client) return;
  retired_.push_back(o.client);
  o.client.reset();  // destroys it unless a call or a lease holds it
}

std::size_t OrgClients::reconcile(const std::vector<store::Connection>& rows) {
  std::map<std::int64_t, const store::Connection*> by_id;
  for (const store::Connection& c : rows) by_id[c.id] = &c;
  std::size_t dropped = 0;
  for (auto it = orgs_.begin(); it != orgs_.end();) {
    Org& o = it->second;
    auto row = by_id.find(it->first);
    const bool gone = row == by_id.end();
    const bool changed = !gone && (row->second->generation != o.generation ||
                                   row->second->status != store::ConnectionStatus::kActive);
    if ((gone || changed) && (o.client || !o.users.empty())) {
      retire(o);
      ++dropped;
    }
    // Ids are never reused: a removed row's entry is not needed again.
    it = gone ? orgs_.erase(it) : std::next(it);
  }
  return dropped;
}

asio::awaitable<Result<std::size_t>> OrgClients::reload() {
  auto list = [](store::Store& s) { return s.list_connections(); };
  auto rows = co_await store_.run(std::move(list));
  if (!rows.ok()) co_return std::move(rows).status();
  co_return reconcile(*rows);
}

asio::awaitable<Status> OrgClients::accept(std::int64_t connection_id, std::int64_t generation,
                                           std::string where, salesforce::TokenIdentity identity) {
  const crypto::Vault* vault = &vault_;
  auto check = [vault, connection_id, &identity, &where](store::Store& s) {
    return check_token_org(s, *vault, connection_id, identity.org_id, identity.instance_url, where);
  };
  auto verdict = co_await store_.run(std::move(check));
  if (!verdict.ok()) co_return std::move(verdict).status().with_context(where);
  if (verdict->refused.ok()) co_return Status();
  // No new client of this credential asks again, even for a caller that
  // still holds the row from before it was marked.
  auto it = orgs_.find(connection_id);
  if (it != orgs_.end() && it->second.generation == generation) {
    it->second.refused = verdict->refused;
  }
  if (verdict->marked_now && on_org_mismatch_) {
    // Named: GCC 12 destroys a temporary argument inside co_await twice.
    asio::awaitable<void> tell = on_org_mismatch_(verdict->connection);
    co_await std::move(tell);
  }
  co_return verdict->refused;
}

std::size_t OrgClients::retired() const {
  std::size_t n = 0;
  for (const auto& w : retired_) n += w.expired() ? 0 : 1;
  return n;
}

std::size_t OrgClients::close_stale_connections() {
  std::size_t n = 0;
  for (auto& [id, o] : orgs_) {
    if (o.client) n += o.client->pool().close_stale_idle();
    for (auto& [name, u] : o.users) n += u.client->pool().close_stale_idle();
  }
  return n;
}

Result<std::shared_ptr<salesforce::Client>> OrgClients::client(std::int64_t connection_id) {
  auto it = orgs_.find(connection_id);
  if (it == orgs_.end()) {
    return Status::error(ErrorKind::kNotFound,
                         "connection " + std::to_string(connection_id) + " has no client");
  }
  Org& o = it->second;
  if (o.client) return o.client;
  if (!o.refused.ok()) return o.refused;

  salesforce::RefreshTokenCredential cred;
  cred.client_id = o.client_id;
  store::StoreThread* store = &store_;
  const crypto::Vault* vault = &vault_;
  std::int64_t id = connection_id;
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
  auto created = salesforce::Client::create(executor_, client_options(id, o), std::move(cred));
  if (!created.ok()) return std::move(created).status().with_context("connection " + o.name);
  o.client = std::shared_ptr<salesforce::Client>(std::move(created).value());
  return o.client;
}

salesforce::ClientOptions OrgClients::client_options(std::int64_t id, const Org& o) {
  salesforce::ClientOptions opts;
  opts.login_url = o.login_url;
  opts.api_version = options_.api_version;
  opts.transport.ca_file = options_.ca_file;
  opts.transport.request_timeout = options_.request_timeout;
  opts.max_pages = options_.max_pages;
  const std::int64_t generation = o.generation;
  std::string where = "the token request at " + o.login_url;
  // Org pinning for every token response, the users' too.
  opts.accept_token = [this, id, generation, where](salesforce::TokenIdentity identity) {
    return accept(id, generation, where, std::move(identity));
  };
  return opts;
}

}  // namespace reportd::jobs
