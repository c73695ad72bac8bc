#include "jobs/connections.hpp"

#include <span>

#include "jobs/failure_notices.hpp"
#include "salesforce_client/oauth.hpp"

namespace reportd::jobs {
namespace {

using store::ConnectionStatus;

store::Bytes seal(const crypto::Vault& vault, std::string_view plain, const crypto::Binding& b) {
  return vault.seal(
      std::span(reinterpret_cast<const std::uint8_t*>(plain.data()), plain.size()), b);
}

// Re-seals a record under the primary key for `to`; empty stays empty.
Result<store::Bytes> rebind(const crypto::Vault& vault, const store::Bytes& sealed,
                            const crypto::Binding& from, const crypto::Binding& to) {
  if (sealed.empty()) return store::Bytes();
  return vault.rewrap(sealed, from, to);
}

// The connection's JWT key re-sealed under the primary key for `to`, stored;
// nothing to do without a JWT configuration.
Status rebind_jwt(store::Store& s, const crypto::Vault& vault, const store::Connection& c,
                  const crypto::Binding& from, const crypto::Binding& to) {
  if (!c.jwt.configured()) return {};
  auto key = rebind(vault, c.jwt.sealed_key, from, to);
  if (!key.ok()) return std::move(key).status().with_context("connection " + c.name + ": JWT key");
  store::JwtSetting next = c.jwt;
  next.sealed_key = std::move(key).value();
  return s.set_connection_jwt(c.id, next);
}

Status mismatch_error(std::string reason) {
  return Status::error(ErrorKind::kAuth, std::move(reason), "org-mismatch");
}

std::string pinned_org(const store::Connection& c) {
  return c.org_id.empty() ? std::string("not yet pinned") : "pinned to org " + c.org_id;
}

// Binds both secrets of `c` to `org` (the pin) and stores them with the org.
Status pin(store::Store& s, const crypto::Vault& vault, const store::Connection& c,
           std::string_view org, std::string_view instance_url) {
  const crypto::Binding from{c.id, c.org_id};
  const crypto::Binding to{c.id, org};
  auto token = rebind(vault, c.sealed_refresh_token, from, to);
  if (!token.ok()) return std::move(token).status().with_context("connection " + c.name);
  auto secret = rebind(vault, c.sealed_client_secret, from, to);
  if (!secret.ok()) return std::move(secret).status().with_context("connection " + c.name);
  if (Status st = s.update_connection_secrets(c.id, *token, *secret, vault.keys().primary().id);
      !st.ok()) {
    return st;
  }
  if (Status st = rebind_jwt(s, vault, c, from, to); !st.ok()) return st;
  return s.update_connection_org(c.id, org, instance_url);
}

}  // namespace

std::string org_mismatch_reason(const store::Connection& c, std::string_view token_org,
                                std::string_view where) {
  const std::string fix = "re-authorize it with a token of its own org: `" +
                          reauth_command(c.name) + "`";
  if (token_org.empty()) {
    return std::string(where) + " gave a token that names no org (no identity URL), so it " +
           "cannot be checked against connection " + c.name + " (" + pinned_org(c) +
           "); the token was refused and nothing was fetched or sent. Check the connection's " +
           "login URL and " + fix;
  }
  return "connection " + c.name + " is " + pinned_org(c) + ", but " + std::string(where) +
         " gave a token of org " + std::string(token_org) +
         "; the token was refused and nothing was fetched or sent. To go on, " + fix +
         "; if the connection should serve org " + std::string(token_org) +
         ", remove it and add a new one";
}

Result<std::int64_t> add_connection(store::Store& store, const crypto::Vault& vault,
                                    const store::Connection& row, std::string_view refresh_token,
                                    std::string_view client_secret) {
  return store.add_connection(row, [&](store::Connection c) -> Result<store::Connection> {
    const crypto::Binding b{c.id, c.org_id};
    c.sealed_refresh_token = seal(vault, refresh_token, b);
    if (!client_secret.empty()) c.sealed_client_secret = seal(vault, client_secret, b);
    c.key_id = vault.keys().primary().id;
    return c;
  });
}

Result<store::Connection> reauthorize(store::Store& store, const crypto::Vault& vault,
                                      std::string_view name, const NewCredential& credential) {
  store::Connection out;
  Status refused;
  Status st = store.transaction([&](store::Store& s) -> Status {
    auto c = s.find_connection(name);
    if (!c.ok()) return c.status();
    if (!credential.org_id.empty() && !c->org_id.empty() &&
        !salesforce::same_org(c->org_id, credential.org_id)) {
      std::string reason = org_mismatch_reason(*c, credential.org_id, "the new authorization");
      refused = mismatch_error(reason);
      // Committed: the refusal is recorded even though nothing else changes.
      return s.set_connection_status(c->id, ConnectionStatus::kOrgMismatch, reason);
    }
    const std::string org = c->org_id.empty() ? credential.org_id : c->org_id;
    const crypto::Binding from{c->id, c->org_id};
    const crypto::Binding to{c->id, org};
    store::Bytes secret;
    if (credential.client_secret) {
      if (!credential.client_secret->empty()) secret = seal(vault, *credential.client_secret, to);
    } else {
      auto kept = rebind(vault, c->sealed_client_secret, from, to);
      if (!kept.ok()) return std::move(kept).status().with_context("connection " + c->name +
                                                                   ": client secret");
      secret = std::move(kept).value();
    }
    store::Bytes token = seal(vault, credential.refresh_token, to);
    const std::string instance =
        credential.instance_url.empty() ? c->instance_url : credential.instance_url;
    if (Status u = s.update_connection_secrets(c->id, token, secret, vault.keys().primary().id);
        !u.ok()) {
      return u;
    }
    if (Status u = rebind_jwt(s, vault, *c, from, to); !u.ok()) return u;
    if (Status u = s.update_connection_org(c->id, org, instance); !u.ok()) return u;
    if (Status u = s.set_connection_status(c->id, ConnectionStatus::kActive, ""); !u.ok()) return u;
    if (Status u = s.bump_connection_generation(c->id); !u.ok()) return u;
    auto now = s.get_connection(c->id);
    if (!now.ok()) return now.status();
    out = std::move(now).value();
    return {};
  });
  if (!st.ok()) return st;
  if (!refused.ok()) return refused;
  return out;
}

Status rotate(store::Store& store, const crypto::Vault& vault, std::int64_t connection_id,
              std::string_view refresh_token) {
  return store.transaction([&](store::Store& s) -> Status {
    auto c = s.get_connection(connection_id);
    if (!c.ok()) return c.status();
    const crypto::Binding b{c->id, c->org_id};
    // The secret moves to the primary key too, so key_id names both.
    auto secret = rebind(vault, c->sealed_client_secret, b, b);
    if (!secret.ok()) return std::move(secret).status().with_context("connection " + c->name);
    if (Status u = rebind_jwt(s, vault, *c, b, b); !u.ok()) return u;
    return s.update_connection_secrets(c->id, seal(vault, refresh_token, b), *secret,
                                       vault.keys().primary().id);
  });
}

Result<OrgVerdict> check_token_org(store::Store& store, const crypto::Vault& vault,
                                   std::int64_t connection_id, std::string_view org_id,
                                   std::string_view instance_url, std::string_view where) {
  OrgVerdict v;
  Status st = store.transaction([&](store::Store& s) -> Status {
    auto c = s.get_connection(connection_id);
    if (!c.ok()) return c.status();
    v.connection = *c;
    if (org_id.empty() || (!c->org_id.empty() && !salesforce::same_org(c->org_id, org_id))) {
      std::string reason = org_mismatch_reason(*c, org_id, where);
      v.marked_now = c->status != ConnectionStatus::kOrgMismatch;
      v.connection.status = ConnectionStatus::kOrgMismatch;
      v.connection.status_reason = reason;
      v.refused = mismatch_error(reason);
      return s.set_connection_status(c->id, ConnectionStatus::kOrgMismatch, reason);
    }
    if (c->org_id.empty()) {
      v.connection.org_id = std::string(org_id);
      v.connection.instance_url = std::string(instance_url);
      return pin(s, vault, *c, org_id, instance_url);
    }
    if (!instance_url.empty() && instance_url != c->instance_url) {
      v.connection.instance_url = std::string(instance_url);
      return s.update_connection_org(c->id, c->org_id, instance_url);
    }
    return {};
  });
  if (!st.ok()) return st;
  return v;
}

Result<std::int64_t> reseal_all(store::Store& store, const crypto::Vault& vault) {
  const std::string primary = vault.keys().primary().id;
  return store.rewrap_all([&vault, &primary](const store::Connection& c) -> Result<store::Connection> {
    store::Connection next = c;
    const crypto::Binding b{c.id, c.org_id};
    auto token = rebind(vault, c.sealed_refresh_token, b, b);
    if (!token.ok()) return std::move(token).status().with_context("connection " + c.name);
    auto secret = rebind(vault, c.sealed_client_secret, b, b);
    if (!secret.ok()) return std::move(secret).status().with_context("connection " + c.name);
    next.sealed_refresh_token = std::move(token).value();
    next.sealed_client_secret = std::move(secret).value();
    auto jwt_key = rebind(vault, c.jwt.sealed_key, b, b);
    if (!jwt_key.ok()) return std::move(jwt_key).status().with_context("connection " + c.name);
    next.jwt.sealed_key = std::move(jwt_key).value();
    next.key_id = primary;
    return next;
  });
}

Result<crypto::SecureBuffer> open_secret(const crypto::Vault& vault, const store::Connection& c,
                                         Secret which) {
  const store::Bytes& sealed = which == Secret::kRefreshToken   ? c.sealed_refresh_token
                               : which == Secret::kClientSecret ? c.sealed_client_secret
                                                                : c.jwt.sealed_key;
  if (sealed.empty()) return crypto::SecureBuffer();
  auto plain = vault.open(sealed, {c.id, c.org_id});
  if (!plain.ok()) {
    const char* what = which == Secret::kRefreshToken   ? ": refresh token"
                       : which == Secret::kClientSecret ? ": client secret"
                                                        : ": JWT key";
    return std::move(plain).status().with_context("connection " + c.name + what);
  }
  return plain;
}

Result<store::Connection> set_jwt(store::Store& store, const crypto::Vault& vault,
                                  std::string_view name, const JwtInput& input) {
  Status st = store.transaction([&](store::Store& s) -> Status {
    auto c = s.find_connection(name);
    if (!c.ok()) return c.status();
    store::Connection next = *c;
    next.jwt = {};
    if (!input.client_id.empty()) {
      next.jwt = {std::string(input.client_id),
                  vault.seal(input.private_key_pem.bytes(), {c->id, c->org_id}),
                  input.key_sha256, input.cert_sha256};
    }
    if (Status u = s.set_connection_jwt(c->id, next.jwt); !u.ok()) return u;
    // pin() to the same org re-seals every secret under the primary key, so
    // key_id names all three; generation + 1 drops the cached user tokens.
    if (Status u = pin(s, vault, next, c->org_id, c->instance_url); !u.ok()) return u;
    return s.bump_connection_generation(c->id);
  });
  if (!st.ok()) return st;
  return store.find_connection(name);
}

Status usable(const store::Connection& c) {
  switch (c.status) {
    case ConnectionStatus::kActive:
      return {};
    case ConnectionStatus::kNeedsReauth:
      return needs_reauth_error(c);
    case ConnectionStatus::kOrgMismatch:
      break;
  }
  return mismatch_error("connection " + c.name + " is marked org-mismatch (" + c.status_reason +
                        "); it is not synced or run until it is re-authorized with a token of " +
                        (c.org_id.empty() ? std::string("its own org") : "org " + c.org_id) +
                        ": `" + reauth_command(c.name) + "`");
}

}  // namespace reportd::jobs
