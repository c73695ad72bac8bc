#pragma once
// Connections: the one place that seals a connection's secrets and changes
// its credential or its org. Adding, re-authorizing, rotating and pinning
// are each one store transaction. Every token of a connection must be of
// its pinned org (`--org-id`, or the first token response's): a token of
// another org is refused and the connection marked org-mismatch.
// Blocking (store calls): the daemon runs these on its store thread, the
// CLI calls them directly.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/secure_buffer.hpp"
#include "crypto/vault.hpp"
#include "store/store.hpp"

namespace reportd::jobs {

// Creates `row` (name, login_url, client_id, org_id: a pin or empty,
// instance_url, allowed_domains, created_at_ms) with the refresh token and
// the client secret (may be empty) sealed, bound to the new row's id and org.
Result<std::int64_t> add_connection(store::Store& store, const crypto::Vault& vault,
                                    const store::Connection& row, std::string_view refresh_token,
                                    std::string_view client_secret);

// A new credential for an existing connection (`connections reauth`, the
// OAuth re-authorization).
struct NewCredential {
  std::string_view refresh_token;
  // nullopt: keep the connection's current client secret.
  std::optional<std::string_view> client_secret;
  // The org the token response named; empty when no token was requested
  // (then the first token request checks it).
  std::string org_id;
  std::string instance_url;  // from the token response, if any
};

// Replaces the connection's credential: secrets sealed anew, status ok,
// generation + 1 (every client built for the old one is dropped). A
// credential of another org than the pinned one is refused (kAuth,
// "org-mismatch"), nothing of it stored, and the connection marked
// org-mismatch; with no pin yet, `org_id` pins it.
Result<store::Connection> reauthorize(store::Store& store, const crypto::Vault& vault,
                                      std::string_view name, const NewCredential& credential);

// Seals a refresh token that Salesforce rotated in place of the old one. The
// generation stays: the client that received it goes on.
Status rotate(store::Store& store, const crypto::Vault& vault, std::int64_t connection_id,
              std::string_view refresh_token);

// Re-seals every connection's secrets under the vault's primary key
// (`reportd keys rotate`), in one transaction: all of them or none.
// Returns how many connections were re-sealed.
Result<std::int64_t> reseal_all(store::Store& store, const crypto::Vault& vault);

// The verdict on one token response's org.
struct OrgVerdict {
  Status refused;           // ok: accepted; else kAuth "org-mismatch", saying what to do
  bool marked_now = false;  // this call marked the connection (tell the operator once)
  store::Connection connection;  // the row after the check
};

// Checks a token response of connection `id` (its org and instance): the
// first one pins the org (the sealed secrets are re-bound to it), a later
// one must be of that org. A refusal marks the connection org-mismatch.
Result<OrgVerdict> check_token_org(store::Store& store, const crypto::Vault& vault,
                                   std::int64_t connection_id, std::string_view org_id,
                                   std::string_view instance_url, std::string_view where);

enum class Secret { kRefreshToken, kClientSecret, kJwtKey };
// Opens one of the connection's sealed secrets; empty when it has none.
Result<crypto::SecureBuffer> open_secret(const crypto::Vault& vault, const store::Connection& c,
                                         Secret which);

// A JWT bearer configuration to store (`connections set --jwt-*`), checked
// by salesforce::check_jwt_key first.
struct JwtInput {
  std::string_view client_id;  // empty: remove the configuration
  const crypto::SecureBuffer& private_key_pem;
  std::string key_sha256, cert_sha256;
};
// Seals the key bound to the connection (and re-seals its tokens under the
// primary key, so key_id names all its secrets) and stores the setting, in
// one transaction, with generation + 1 (cached user tokens are dropped).
// Returns the row as stored.
Result<store::Connection> set_jwt(store::Store& store, const crypto::Vault& vault,
                                  std::string_view name, const JwtInput& input);

// ok for an active connection; otherwise the kAuth error of anything refused
// because of its status (code "needs-reauth" or "org-mismatch"), naming the fix.
Status usable(const store::Connection& connection);

// Why a token of `token_org` is refused for `connection` and what to do.
std::string org_mismatch_reason(const store::Connection& connection, std::string_view token_org,
                                std::string_view where);

}  // namespace reportd::jobs
