// reportd connections set NAME --jwt-consumer-key KEY --jwt-key-file PATH
//   [--jwt-cert-file PATH] | --jwt-remove, and reportd connections show NAME.
#include <boost/json.hpp>
#include <fstream>
#include <ostream>
#include <sstream>

#include "daemon/commands.hpp"
#include "daemon/context.hpp"
#include "daemon/time_text.hpp"
#include "jobs/connections.hpp"
#include "salesforce_client/jwt_key.hpp"

namespace reportd::daemon {
namespace {

Status invalid_jwt_argument(std::string what) { return Status::error(ErrorKind::kInvalidArgument, std::move(what)); }

Result<std::string> read_text_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::error(ErrorKind::kIo, "cannot open " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string or_none(const std::string& s) { return s.empty() ? "none" : s; }

}  // namespace

int cmd_connections_set_jwt(Context& ctx) {
  const std::string& name = ctx.args.words.at(2);
  const bool remove = ctx.args.has("jwt-remove");
  auto consumer = ctx.args.get("jwt-consumer-key");
  auto key_file = ctx.args.get("jwt-key-file");
  if (remove && (consumer || key_file || ctx.args.has("jwt-cert-file"))) {
    return ctx.fail(invalid_jwt_argument("--jwt-remove goes alone, without the other --jwt-* options"));
  }
  if (!remove && (!consumer || consumer->empty() || !key_file)) {
    return ctx.fail(invalid_jwt_argument(
        "a JWT bearer configuration needs --jwt-consumer-key KEY (the connected app's consumer "
        "key) and --jwt-key-file PATH (its RSA private key in PEM; keys are never taken from "
        "the command line)"));
  }
  crypto::SecureBuffer pem;
  salesforce::JwtKeyInfo info;
  if (!remove) {
    auto read = read_secret_file(*key_file);
    if (!read.ok()) return ctx.fail(std::move(read).status().with_context("--jwt-key-file"));
    pem = std::move(read).value();
    std::string cert;
    if (auto cert_file = ctx.args.get("jwt-cert-file")) {
      auto text = read_text_file(*cert_file);
      if (!text.ok()) return ctx.fail(std::move(text).status().with_context("--jwt-cert-file"));
      cert = std::move(text).value();
    }
    auto checked = salesforce::check_jwt_key(pem.view(), cert);
    if (!checked.ok()) return ctx.fail(std::move(checked).status().with_context(*key_file));
    info = std::move(checked).value();
  }
  Result<crypto::KeyRing> ring = ctx.load_keys();
  if (!ring.ok()) return ctx.fail(ring.status());
  auto store = ctx.open_store();
  if (!store.ok()) return ctx.fail(store.status());
  crypto::Vault vault(*ring);
  jobs::JwtInput input{remove ? std::string_view() : std::string_view(*consumer), pem,
                       info.key_sha256, info.cert_sha256};
  auto row = jobs::set_jwt(**store, vault, name, input);
  if (!row.ok()) return ctx.fail(row.status());
  if (remove) {
    ctx.out << "connection " << name << ": JWT bearer configuration removed; schedules that run "
            << "as a user fail until one is set again\n";
    return 0;
  }
  ctx.out << "connection " << name << ": JWT bearer configuration stored (key sealed under key "
          << row->key_id << ")\n"
          << "  consumer key:        " << row->jwt.client_id << "\n"
          << "  audience:            " << salesforce::jwt_audience(row->login_url) << "\n"
          << "  public key SHA-256:  " << row->jwt.key_sha256 << "\n"
          << "  certificate SHA-256: "
          << or_none(row->jwt.cert_sha256) << "\n"
          << "Compare the certificate's fingerprint with the one the connected app shows in "
             "Setup; users must be pre-authorized for the app (README: Running as a user).\n";
  return 0;
}

int cmd_connections_show(Context& ctx) {
  auto store = ctx.open_store();
  if (!store.ok()) return ctx.fail(store.status());
  auto c = (*store)->find_connection(ctx.args.words.at(2));
  if (!c.ok()) return ctx.fail(c.status());
  const bool jwt = c->jwt.configured();
  if (ctx.json()) {
    boost::json::object o{{"name", c->name},
                          {"login_url", c->login_url},
                          {"client_id", c->client_id},
                          {"org_id", c->org_id},
                          {"instance_url", c->instance_url},
                          {"status", store::to_string(c->status)},
                          {"status_reason", c->status_reason},
                          {"key_id", c->key_id},
                          {"generation", c->generation},
                          {"created_at", iso_utc(c->created_at_ms)}};
    if (jwt) {
      o["jwt"] = {{"consumer_key", c->jwt.client_id},
                  {"audience", salesforce::jwt_audience(c->login_url)},
                  {"key_sha256", c->jwt.key_sha256},
                  {"cert_sha256", c->jwt.cert_sha256}};
    }
    ctx.out << boost::json::serialize(o) << "\n";
    return 0;
  }
  std::string domains;
  for (const std::string& d : c->allowed_domains) domains += (domains.empty() ? "" : ", ") + d;
  ctx.out << "name:             " << c->name << "\n"
          << "login url:        " << c->login_url << "\n"
          << "consumer key:     " << c->client_id << "\n"
          << "org:              " << (c->org_id.empty() ? "not yet pinned" : c->org_id) << "\n"
          << "instance:         " << or_none(c->instance_url) << "\n"
          << "status:           " << store::to_string(c->status)
          << (c->status_reason.empty() ? "" : " (" + c->status_reason + ")") << "\n"
          << "key:              " << c->key_id << "\n"
          << "allowed domains:  " << or_none(domains) << "\n"
          << "created:          " << iso_utc(c->created_at_ms) << "\n";
  if (!jwt) {
    ctx.out << "jwt bearer:       none (schedules can run only as the integration user)\n";
    return 0;
  }
  ctx.out << "jwt consumer key: " << c->jwt.client_id << "\n"
          << "jwt audience:     " << salesforce::jwt_audience(c->login_url) << "\n"
          << "jwt key SHA-256:  " << c->jwt.key_sha256 << "\n"
          << "jwt cert SHA-256: " << or_none(c->jwt.cert_sha256) << "\n";
  return 0;
}

}  // namespace reportd::daemon
