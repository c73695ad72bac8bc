// reportd connections reauth NAME --refresh-token-stdin: connects an org again
// after Salesforce revoked its grant (the connection shows needs-reauth) or
// refused a token of another org (org-mismatch). jobs::reauthorize seals the
// new refresh token in place of the old one, re-seals the client secret and
// returns the status to ok in one transaction, and bumps the connection's
// generation: a running daemon drops the client it built for the old
// credential. Its schedules keep their names, history and pause state. The
// new token is checked against the pinned org at its first token request.
#include <ostream>

#include "crypto/vault.hpp"
#include "daemon/commands.hpp"
#include "jobs/connections.hpp"

namespace reportd::daemon {

int cmd_connections_reauth(Context& ctx) {
  if (ctx.args.has("authorize")) return cmd_connections_reauthorize(ctx);  // cmd_authorize.cpp
  const std::string& name = ctx.args.words.at(2);
  if (!ctx.args.has("refresh-token-stdin")) {
    return ctx.fail(Status::error(
        ErrorKind::kInvalidArgument,
        "connections reauth needs --refresh-token-stdin; pipe the new refresh token in, e.g. "
        "`reportd connections reauth " + name + " --refresh-token-stdin < token-file`"));
  }
  Result<crypto::KeyRing> ring = ctx.load_keys();
  if (!ring.ok()) return ctx.fail(ring.status());
  auto store = ctx.open_store();
  if (!store.ok()) return ctx.fail(store.status());
  auto before = (*store)->find_connection(name);
  if (!before.ok()) return ctx.fail(before.status());
  auto token = read_secret_stdin();
  if (!token.ok()) {
    return ctx.fail(std::move(token).status().with_context("reading the refresh token"));
  }
  crypto::Vault vault(*ring);
  jobs::NewCredential credential;
  credential.refresh_token = token->view();
  auto c = jobs::reauthorize(**store, vault, name, credential);
  if (!c.ok()) return ctx.fail(c.status());
  ctx.out << "re-authorized connection " << name << " (was " << store::to_string(before->status)
          << "); refresh token sealed under key " << ring->primary().id << "; "
          << (c->org_id.empty() ? std::string("its first token pins its org")
                                : "its next token must be of org " + c->org_id)
          << "\n";
  return 0;
}

}  // namespace reportd::daemon
