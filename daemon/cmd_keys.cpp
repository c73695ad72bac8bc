// reportd keys generate | status | rotate
#include <boost/json.hpp>

#include <ostream>

#include "crypto/vault.hpp"
#include "daemon/commands.hpp"
#include "daemon/text_table.hpp"
#include "jobs/connections.hpp"

namespace reportd::daemon {

int cmd_keys_generate(Context& ctx) {
  auto out = ctx.args.get("out");
  if (!out) {
    return ctx.fail(Status::error(ErrorKind::kInvalidArgument,
                                  "keys generate needs --out FILE, the key file to write"));
  }
  crypto::MasterKey fresh = crypto::generate_key();
  std::vector<const crypto::MasterKey*> keys{&fresh};
  crypto::KeyRing existing;
  if (ctx.args.has("add")) {
    Result<crypto::KeyRing> loaded = crypto::load_key_file(*out);
    if (!loaded.ok()) return ctx.fail(loaded.status());
    existing = std::move(loaded).value();
    for (const crypto::MasterKey& k : existing.keys()) keys.push_back(&k);
  }
  if (Status st = crypto::write_key_file(*out, keys, ctx.args.has("add")); !st.ok()) {
    return ctx.fail(st);
  }
  ctx.out << "wrote " << *out << " (mode 0600): primary key " << fresh.id;
  if (keys.size() > 1) {
    ctx.out << ", " << keys.size() - 1
            << " older key(s) kept; run `reportd keys rotate` to re-seal tokens under it";
  }
  ctx.out << "\n";
  return 0;
}

int cmd_keys_status(Context& ctx) {
  auto store = ctx.open_store();
  if (!store.ok()) return ctx.fail(store.status());
  auto counts = (*store)->count_tokens_by_key();
  if (!counts.ok()) return ctx.fail(counts.status());
  // Keys are optional here: status must still explain a missing key.
  Result<crypto::KeyRing> ring = ctx.load_keys();
  auto loaded = [&](const std::string& id) -> std::string {
    if (!ring.ok()) return "unknown (no key loaded)";
    if (ring->primary().id == id) return "primary";
    return ring->find(id) ? "loaded" : "MISSING";
  };
  std::map<std::string, std::int64_t> all = *counts;
  if (ring.ok()) {
    for (const auto& k : ring->keys()) all.emplace(k.id, 0);
  }
  if (ctx.json()) {
    boost::json::array arr;
    for (const auto& [id, n] : all) {
      arr.push_back({{"key_id", id}, {"tokens", n}, {"loaded", loaded(id)}});
    }
    ctx.out << boost::json::serialize(arr) << "\n";
    return 0;
  }
  TextTable t({"KEY ID", "TOKENS", "KEY FILE"});
  for (const auto& [id, n] : all) t.add({id, std::to_string(n), loaded(id)});
  t.print(ctx.out);
  if (!ring.ok()) ctx.err << "reportd: note: " << ring.status().message() << "\n";
  return 0;
}

int cmd_keys_rotate(Context& ctx) {
  Result<crypto::KeyRing> ring = ctx.load_keys();
  if (!ring.ok()) return ctx.fail(ring.status());
  auto store = ctx.open_store();
  if (!store.ok()) return ctx.fail(store.status());
  crypto::Vault vault(*ring);
  const std::string& primary = ring->primary().id;
  auto rewrapped = jobs::reseal_all(**store, vault);
  if (!rewrapped.ok()) {
    return ctx.fail(std::move(rewrapped).status().with_context("keys rotate (nothing changed)"));
  }
  ctx.out << "re-sealed " << *rewrapped << " connection(s) under key " << primary << "\n";
  return 0;
}

}  // namespace reportd::daemon
