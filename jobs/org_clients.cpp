#include "jobs/org_clients.hpp"
#include "table/wipe.hpp"

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
  wipe(token);
  co_return st;
}

}  // namespace

// Forwards each call to the connection's current client, which the call's
// frame holds (shared) until the call completes.
class OrgClients::Handle final : public salesforce::Api {
 public:
  Handle(OrgClients& owner, std::int64_t connection_id) : owner_(owner), id_(connection_id) {}

  asio::awaitable<Status> query(std::string soql, bool all, table::RowSink& sink) override {
    auto c = owner_.client(id_);
    if (!c.ok()) co_return c.status();
    std::shared_ptr<salesforce::Client> held = std::move(c).value();
    co_return co_await held->query(std::move(soql), all, sink);
  }
  asio::awaitable<Status> run_report(std::string report_id, table::RowSink& sink) override {
    auto c = owner_.client(id_);
    if (!c.ok()) co_return c.status();
    std::shared_ptr<salesforce::Client> held = std::move(c).value();
    co_return co_await held->run_report(std::move(report_id), sink);
  }
  asio::awaitable<Status> bulk_query(std::string soql, table::RowSink& sink) override {
    auto c = owner_.client(id_);
    if (!c.ok()) co_return c.status();
    std::shared_ptr<salesforce::Client> held = std::move(c).value();
    co_return co_await held->bulk_query(std::move(soql), sink);
  }
  asio::awaitable<Status> patch_record(std::string sobject, std::string id,
                                       std::string json_body) override {
    auto c = owner_.client(id_);
    if (!c.ok()) co_return c.status();
    std::shared_ptr<salesforce::Client> held = std::move(c).value();
    co_return co_await held->patch_record(std::move(sobject), std::move(id), std::move(json_body));
  }
  asio::awaitable<Result<salesforce::UploadResult>> upload_file(
      salesforce::FileUpload file) override {
    auto c = owner_.client(id_);
    if (!c.ok()) co_return c.status();
    std::shared_ptr<salesforce::Client> held = std::move(c).value();
    co_return co_await held->upload_file(std::move(file));
  }
  std::optional<salesforce::ApiUsage> api_usage() const override {
    auto it = owner_.orgs_.find(id_);
    if (it == owner_.orgs_.end() || !it->second.client) return std::nullopt;
    return it->second.client->api_usage();
  }

 private:
  OrgClients& owner_;
  std::int64_t id_;
};

OrgClients::OrgClients(asio::any_io_executor executor, StoreThread& store,
                       const crypto::Vault& vault, OrgClientOptions options)
    : executor_(std::move(executor)), store_(store), vault_(vault), options_(std::move(options)) {}

OrgClients::~OrgClients() = default;

std::vector<OrgClients::ClientStats> OrgClients::stats() const {
  std::vector<ClientStats> out;
  for (const auto& [id, o] : orgs_) {
    if (!o.client) continue;
    ClientStats s;
    s.connection_id = id;
    s.token_requests = o.client->session().token_requests();
    s.token_failures = o.client->session().token_failures();
    s.api_usage = o.client->api_usage();
    out.push_back(s);
  }
  return out;
}

OrgClients::Org& OrgClients::org(const store::Connection& c) {
  Org& o = orgs_[c.id];
  o.name = c.name;
  o.client_id = c.client_id;
  o.login_url = c.login_url;
  if (!o.handle) o.handle = std::make_unique<Handle>(*this, c.id);
  return o;
}

Result<salesforce::Api*> OrgClients::api_for(const store::Connection& c) {
  Org& o = org(c);
  auto built = client(c.id);
  if (!built.ok()) return built.status();
  return static_cast<salesforce::Api*>(o.handle.get());
}

Result<std::shared_ptr<salesforce::Api>> OrgClients::lease(const store::Connection& c) {
  org(c);
  auto built = client(c.id);
  if (!built.ok()) return built.status();
  return std::shared_ptr<salesforce::Api>(std::move(built).value());
}

void OrgClients::forget(std::int64_t connection_id) {
  std::erase_if(retired_, [](const std::weak_ptr<salesforce::Client>& w) { return w.expired(); });
  auto it = orgs_.find(connection_id);
  if (it == orgs_.end() || !it->second.client) return;
  retired_.push_back(it->second.client);
  it->second.client.reset();  // destroys it unless a call or a lease holds it
}

std::size_t OrgClients::retired() const {
  std::size_t n = 0;
  for (const auto& w : retired_) n += w.expired() ? 0 : 1;
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

  salesforce::RefreshTokenCredential cred;
  cred.client_id = o.client_id;
  StoreThread* store = &store_;
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

  salesforce::ClientOptions opts;
  opts.login_url = o.login_url;
  opts.api_version = options_.api_version;
  opts.transport.ca_file = options_.ca_file;
  opts.transport.request_timeout = options_.request_timeout;
  opts.max_pages = options_.max_pages;
  auto created = salesforce::Client::create(executor_, std::move(opts), std::move(cred));
  if (!created.ok()) return std::move(created).status().with_context("connection " + o.name);
  o.client = std::shared_ptr<salesforce::Client>(std::move(created).value());
  return o.client;
}

}  // namespace reportd::jobs
