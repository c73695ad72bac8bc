// reportd connections reauth NAME --refresh-token-stdin: connects an org again
// after Salesforce revoked its grant (the connection shows needs-reauth). The
// new refresh token is sealed in place of the old one, the client secret is
// re-sealed under the primary key, and the connection's status returns to ok;
// its schedules keep their names, history and pause state. A running daemon
// builds a fresh client at the connection's next run.
#include <ostream>

#include "crypto/vault.hpp"
#include "daemon/commands.hpp"

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
  auto c = (*store)->find_connection(name);
  if (!c.ok()) return ctx.fail(c.status());
  auto token = read_secret_stdin();
  if (!token.ok()) {
    return ctx.fail(std::move(token).status().with_context("reading the refresh token"));
  }
  crypto::Vault vault(*ring);
  crypto::Binding b{c->id, c->org_id};
  store::Bytes sealed_secret;
  if (!c->sealed_client_secret.empty()) {
    auto secret = vault.open(c->sealed_client_secret, b);
    if (!secret.ok()) {
      return ctx.fail(std::move(secret).status().with_context("connection " + name +
                                                              ": client secret"));
    }
    sealed_secret = vault.seal(*secret, b);
  }
  store::Bytes sealed_token = vault.seal(*token, b);
  if (Status st = (*store)->update_connection_secrets(c->id, sealed_token, sealed_secret,
                                                      ring->primary().id);
      !st.ok()) {
    return ctx.fail(st);
  }
  if (Status st = (*store)->set_connection_status(c->id, "ok", ""); !st.ok()) return ctx.fail(st);
  ctx.out << "re-authorized connection " << name << " (was " << c->status
          << "); refresh token sealed under key " << ring->primary().id << "\n";
  return 0;
}

}  // namespace reportd::daemon
