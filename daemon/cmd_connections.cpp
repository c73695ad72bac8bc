// reportd connections add | list | remove
#include <boost/json.hpp>

#include <chrono>
#include <ostream>

#include "crypto/vault.hpp"
#include "daemon/commands.hpp"
#include "daemon/text_table.hpp"
#include "daemon/time_text.hpp"
#include "jobs/deliver/recipients.hpp"
#include "jobs/connections.hpp"

namespace reportd::daemon {
namespace {

Status invalid(std::string message) {
  return Status::error(ErrorKind::kInvalidArgument, std::move(message));
}

Status check_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return invalid("connection name must be 1-64 characters");
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) {
      return invalid("connection name \"" + name +
                     "\" may only hold letters, digits, '-', '_' and '.'");
    }
  }
  return {};
}

Status check_login_url(const std::string& url) {
  if (url.rfind("https://", 0) != 0 || url.size() <= 8) {
    return invalid("--login-url must be an https:// URL such as https://login.salesforce.com, "
                   "not \"" + url + "\"");
  }
  if (url.find_first_of(" \t\r\n?#") != std::string::npos) {
    return invalid("--login-url must be a bare origin such as https://login.salesforce.com");
  }
  return {};
}

Status check_org_id(const std::string& id) {
  bool alnum = std::all_of(id.begin(), id.end(), [](char c) { return std::isalnum(
      static_cast<unsigned char>(c)); });
  if ((id.size() != 15 && id.size() != 18) || id.rfind("00D", 0) != 0 || !alnum) {
    return invalid("--org-id must be a 15- or 18-character org id starting with 00D");
  }
  return {};
}

}  // namespace

int cmd_connections_add(Context& ctx) {
  const std::string& name = ctx.args.words.at(2);
  auto login_url = ctx.args.get("login-url");
  auto client_id = ctx.args.get("client-id");
  if (Status st = check_name(name); !st.ok()) return ctx.fail(st);
  if (!login_url) return ctx.fail(invalid("connections add needs --login-url URL"));
  if (Status st = check_login_url(*login_url); !st.ok()) return ctx.fail(st);
  if (!client_id || client_id->empty()) {
    return ctx.fail(invalid("connections add needs --client-id, the connected app's consumer key"));
  }
  if (ctx.args.has("authorize")) return cmd_connections_authorize(ctx);
  for (const char* o : {"redirect-uri", "client-secret-stdin", "timeout"}) {
    if (ctx.args.has(o)) return ctx.fail(invalid(std::string("--") + o + " goes with --authorize"));
  }
  if (!ctx.args.has("refresh-token-stdin")) {
    return ctx.fail(invalid(
        "connections add needs --refresh-token-stdin; pipe the refresh token in, e.g. "
        "`reportd connections add " + name + " ... --refresh-token-stdin < token-file` "
        "(tokens are never taken from the command line, where `ps` would show them)"));
  }
  auto domains = deliver::split_domains(ctx.args.get_or("allowed-domains", ""));
  if (!domains.ok()) return ctx.fail(std::move(domains).status().with_context("--allowed-domains"));
  std::string org_id = ctx.args.get_or("org-id", "");
  if (!org_id.empty()) {
    if (Status st = check_org_id(org_id); !st.ok()) return ctx.fail(st);
  }

  Result<crypto::KeyRing> ring = ctx.load_keys();
  if (!ring.ok()) return ctx.fail(ring.status());
  crypto::SecureBuffer secret;
  if (auto f = ctx.args.get("client-secret-file")) {
    auto s = read_secret_file(*f);
    if (!s.ok()) return ctx.fail(std::move(s).status().with_context("--client-secret-file"));
    secret = std::move(s).value();
  }
  auto token = read_secret_stdin();
  if (!token.ok()) {
    return ctx.fail(std::move(token).status().with_context("reading the refresh token"));
  }
  auto store = ctx.open_store();
  if (!store.ok()) return ctx.fail(store.status());

  store::Connection c;
  c.name = name;
  c.login_url = *login_url;
  while (!c.login_url.empty() && c.login_url.back() == '/') c.login_url.pop_back();
  c.client_id = *client_id;
  c.org_id = org_id;
  c.allowed_domains = *domains;
  c.created_at_ms = now_ms();
  crypto::Vault vault(*ring);
  auto id = jobs::add_connection(**store, vault, c, token->view(), secret.view());
  if (!id.ok()) return ctx.fail(id.status());
  ctx.out << "added connection " << name << " (refresh token sealed under key "
          << ring->primary().id << "; "
          << (org_id.empty() ? std::string("its first token pins its org")
                             : "pinned to org " + org_id + ": a token of another org is refused")
          << ")\n";
  return 0;
}

int cmd_connections_list(Context& ctx) {
  auto store = ctx.open_store();
  if (!store.ok()) return ctx.fail(store.status());
  auto conns = (*store)->list_connections();
  if (!conns.ok()) return ctx.fail(conns.status());
  if (ctx.json()) {
    boost::json::array arr;
    for (const store::Connection& c : *conns) {
      boost::json::array domains;
      for (const auto& d : c.allowed_domains) domains.emplace_back(d);
      arr.push_back({{"name", c.name},
                     {"login_url", c.login_url},
                     {"client_id", c.client_id},
                     {"org_id", c.org_id},
                     {"instance_url", c.instance_url},
                     {"status", store::to_string(c.status)},
                     {"generation", c.generation},
                     {"status_reason", c.status_reason},
                     {"key_id", c.key_id},
                     {"allowed_domains", domains},
                     {"created_at", iso_utc(c.created_at_ms)}});
    }
    ctx.out << boost::json::serialize(arr) << "\n";
    return 0;
  }
  TextTable t({"NAME", "LOGIN URL", "ORG", "STATUS", "KEY", "CREATED"});
  for (const store::Connection& c : *conns) {
    std::string status(store::to_string(c.status));
    if (!c.status_reason.empty()) status += " (" + c.status_reason + ")";
    t.add({c.name, c.login_url, c.org_id.empty() ? "-" : c.org_id, status, c.key_id,
           iso_utc(c.created_at_ms)});
  }
  t.print(ctx.out);
  ctx.out << "\n" << t.size() << " connection(s).\n";
  return 0;
}

int cmd_connections_remove(Context& ctx) {
  auto store = ctx.open_store();
  if (!store.ok()) return ctx.fail(store.status());
  const std::string& name = ctx.args.words.at(2);
  if (Status st = (*store)->remove_connection(name); !st.ok()) return ctx.fail(st);
  ctx.out << "removed connection " << name << " and its schedules\n";
  return 0;
}

}  // namespace reportd::daemon
