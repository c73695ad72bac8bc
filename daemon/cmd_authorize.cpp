// reportd connections add NAME --authorize: the OAuth web-server flow with
// PKCE. Stores a pending authorization (state, sealed verifier), prints the
// authorize URL, and waits until whoever serves the redirect URI (the
// running daemon, or this command itself) has completed the callback.
#include <httplib.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/url/parse.hpp>
#include <csignal>
#include <ostream>

#include "daemon/commands.hpp"
#include "daemon/oauth_connect.hpp"
#include "daemon/time_text.hpp"
#include "jobs/connections.hpp"
#include "salesforce_client/oauth.hpp"

namespace asio = boost::asio;

namespace reportd::daemon {
namespace {

constexpr auto kPoll = std::chrono::milliseconds(200);
// A callback that claimed the row before the deadline may still be
// exchanging the code: wait this much longer for its outcome.
constexpr std::int64_t kExchangeGraceMs = 120'000;

Status invalid(std::string message) {
  return Status::error(ErrorKind::kInvalidArgument, std::move(message));
}

struct Redirect {
  std::string uri;
  bool http = false;      // plain http on a loopback host: this command can serve it
  ListenAddress address;  // where to listen when `http`
};

bool loopback(std::string_view host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

Result<Redirect> parse_redirect(const std::string& uri) {
  const std::string how =
      "; e.g. http://127.0.0.1:8400/oauth/callback, registered as a callback "
      "URL of the connected app";
  auto u = boost::urls::parse_absolute_uri(uri);
  if (!u) return invalid("--redirect-uri \"" + uri + "\" is not an absolute URL" + how);
  Redirect r;
  r.uri = uri;
  if (u->scheme() != "http" && u->scheme() != "https") {
    return invalid("--redirect-uri must be an http:// or https:// URL" + how);
  }
  std::string host(u->host_address());
  if (host.empty()) return invalid("--redirect-uri has no host" + how);
  if (u->path() != kCallbackPath || u->has_query() || u->has_fragment()) {
    return invalid(
        "--redirect-uri must end in the path /oauth/callback, which reportd serves, "
        "with no query or fragment" +
        how);
  }
  if (u->scheme() == "http") {
    if (!loopback(host)) {
      return invalid(
          "--redirect-uri: plain http is only for a loopback host (127.0.0.1, "
          "localhost, [::1]); for any other host use https:// through a TLS proxy "
          "in front of `reportd serve`");
    }
    r.http = true;
    r.address.host = host == "localhost" ? "127.0.0.1" : host;
    r.address.port = u->has_port() ? static_cast<int>(u->port_number()) : 80;
    if (r.address.port == 0) return invalid("--redirect-uri needs a port other than 0" + how);
  }
  return r;
}

// Is a reportd endpoint (a running daemon) answering at `a`?
bool reportd_answers(const ListenAddress& a) {
  httplib::Client client(a.host, a.port);
  client.set_connection_timeout(std::chrono::seconds(2));
  client.set_read_timeout(std::chrono::seconds(5));
  auto res = client.Get("/healthz");
  return res && res->get_header_value("Server").rfind("reportd/", 0) == 0;
}

struct Waited {
  std::string outcome;  // "ok", an error, or "expired"/"cancelled"
  store::Connection connection;
};

// Polls the pending row until its callback has finished, it expires or
// `cancelled` is set; an unfinished row is then closed (secrets wiped).
asio::awaitable<Waited> wait_for_callback(store::StoreThread* store, std::string state,
                                          std::string name, std::int64_t expires_at_ms,
                                          const bool* cancelled) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  Waited w;
  for (;;) {
    auto read = [state](store::Store& s) { return s.get_pending_authorization(state); };
    auto row = co_await store->run(std::move(read));
    if (!row.ok()) {
      w.outcome = row.status().message();
      break;
    }
    if (!*row) {
      w.outcome = "the pending authorization disappeared from the store";
      break;
    }
    const std::string& outcome = (*row)->outcome;
    if (!outcome.empty() && outcome != "exchanging") {
      w.outcome = outcome;
      break;
    }
    std::int64_t now = now_ms();
    bool late = outcome.empty() ? now >= expires_at_ms : now >= expires_at_ms + kExchangeGraceMs;
    if (late || *cancelled) {
      w.outcome = *cancelled ? "cancelled" : "expired";
      auto close = [state, o = w.outcome](store::Store& s) {
        return s.finish_pending_authorization(state, o);
      };
      (void)co_await store->run(std::move(close));
      co_return w;
    }
    timer.expires_after(kPoll);
    co_await timer.async_wait(asio::use_awaitable);
  }
  if (w.outcome == "ok") {
    auto find = [name](store::Store& s) { return s.find_connection(name); };
    auto c = co_await store->run(std::move(find));
    if (c.ok()) w.connection = std::move(c).value();
  }
  co_return w;
}

// What the flow needs once the arguments are checked.
struct Flow {
  std::string name;
  std::string login_url;
  std::string client_id;
  crypto::SecureBuffer secret;  // may be empty
  bool reauth = false;
  Redirect redirect;
  std::int64_t timeout_s = 600;
};

// Common options of `connections add --authorize` and `connections reauth
// --authorize`: --redirect-uri, --timeout, the client secret.
Status read_common(const Context& ctx, Flow& flow) {
  auto redirect_arg = ctx.args.get("redirect-uri");
  if (!redirect_arg) {
    return invalid(
        "--authorize needs --redirect-uri URL, one of the connected app's callback "
        "URLs, e.g. http://127.0.0.1:8400/oauth/callback");
  }
  auto redirect = parse_redirect(*redirect_arg);
  if (!redirect.ok()) return redirect.status();
  flow.redirect = std::move(redirect).value();
  auto timeout_s = parse_duration(ctx.args.get_or("timeout", "10m"));
  if (!timeout_s.ok() || *timeout_s < 10 || *timeout_s > 86400) {
    return invalid("--timeout must be a duration from 10s to 1d, such as 10m");
  }
  flow.timeout_s = *timeout_s;
  if (ctx.args.has("client-secret-stdin") && ctx.args.has("client-secret-file")) {
    return invalid("give the client secret once: --client-secret-stdin or --client-secret-file");
  }
  if (ctx.args.has("client-secret-stdin")) {
    auto s = read_secret_stdin();
    if (!s.ok()) return std::move(s).status().with_context("reading the client secret");
    flow.secret = std::move(s).value();
  } else if (auto f = ctx.args.get("client-secret-file")) {
    auto s = read_secret_file(*f);
    if (!s.ok()) return std::move(s).status().with_context("--client-secret-file");
    flow.secret = std::move(s).value();
  }
  return {};
}

// What the flow came to, told the operator; the exit code.
int report_outcome(Context& ctx, const Flow& flow, const Waited& waited) {
  const std::string& name = flow.name;
  if (waited.outcome == "ok") {
    ctx.out << (flow.reauth ? "re-authorized " : "connected ") << name << ": org "
            << (waited.connection.org_id.empty() ? "-" : waited.connection.org_id) << ", instance "
            << waited.connection.instance_url << " (refresh token sealed under key "
            << waited.connection.key_id << ")\n";
    return 0;
  }
  if (waited.outcome == "expired") {
    return ctx.fail(Status::error(ErrorKind::kTransient,
                                  "no callback arrived within " +
                                      human_duration(flow.timeout_s * 1000) +
                                      "; nothing was stored. Run the command again (--timeout "
                                      "gives more time)"));
  }
  if (waited.outcome == "cancelled") {
    return ctx.fail(Status::error(ErrorKind::kTransient, "cancelled; nothing was stored"));
  }
  return ctx.fail(Status::error(ErrorKind::kAuth, "authorization failed: " + waited.outcome));
}

// The pending row of this flow, valid for --timeout: the PKCE verifier and
// the client secret are sealed in it and wiped here.
store::PendingAuthorization pending_for(Flow& flow, const crypto::Vault& vault, salesforce::Pkce& pkce) {
  store::PendingAuthorization p;
  p.state = salesforce::make_state();
  p.name = flow.name;
  p.login_url = flow.login_url;
  p.client_id = flow.client_id;
  p.redirect_uri = flow.redirect.uri;
  p.sealed_secrets = seal_pending(vault, p.state, pkce.verifier, flow.secret.view(), flow.reauth);
  salesforce::wipe(pkce.verifier);
  flow.secret = crypto::SecureBuffer();
  p.key_id = vault.keys().primary().id;
  p.created_at_ms = now_ms();
  p.expires_at_ms = p.created_at_ms + flow.timeout_s * 1000;
  return p;
}

int run_flow(Context& ctx, Flow flow, const crypto::KeyRing& ring, const Config& config,
             store::Store& db) {
  const std::string& name = flow.name;
  const Redirect& redirect = flow.redirect;
  (void)db.purge_pending_authorizations(now_ms());

  crypto::Vault vault(ring);
  salesforce::Pkce pkce = salesforce::make_pkce();
  store::PendingAuthorization p = pending_for(flow, vault, pkce);
  if (Status st = db.add_pending_authorization(p); !st.ok()) return ctx.fail(st);
  const std::string url = salesforce::authorize_url(flow.login_url, flow.client_id, redirect.uri,
                                                    kAuthorizeScope, p.state, pkce.challenge);

  asio::io_context io;
  store::StoreThread store_thread(db);  // from here on, the store only through this thread
  std::atomic<bool> closing{false};
  CallbackServices services;
  services.store = &store_thread;
  services.vault = &vault;
  services.transport.ca_file = config.salesforce_ca_file;
  services.transport.request_timeout = std::chrono::seconds(config.request_timeout_s);
  EndpointRoutes routes;
  routes.oauth_callback = [&io, &services, &closing](CallbackQuery q) {
    return run_callback(io, services, std::move(q), closing, std::chrono::seconds(90)).page;
  };
  auto own = std::make_unique<HttpEndpoint>(std::move(routes));
  std::string who;
  if (!redirect.http) {
    own.reset();
    who = "`reportd serve` behind the HTTPS address of " + redirect.uri;
  } else if (Status st = own->start(redirect.address); st.ok()) {
    who = "this command, listening on " + redirect.address.host + ":" +
          std::to_string(redirect.address.port);
  } else {
    own.reset();
    if (!reportd_answers(redirect.address)) {
      (void)db.finish_pending_authorization(p.state, "cancelled");
      return ctx.fail(Status::error(
          ErrorKind::kIo, st.message() +
                              ", and no reportd daemon answers there; choose a free "
                              "port in --redirect-uri (and add that URL to the connected app's "
                              "callback URLs)"));
    }
    who = "the running reportd daemon on " + redirect.address.host + ":" +
          std::to_string(redirect.address.port);
  }

  ctx.out << "Open this URL in a browser signed in to the Salesforce org and allow access:\n\n  "
          << url << "\n\nThe callback to " << redirect.uri << " is received by " << who
          << ". Waiting up to " << human_duration(flow.timeout_s * 1000) << " (Ctrl-C cancels)...\n"
          << std::flush;

  bool cancelled = false;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&cancelled](const boost::system::error_code& ec, int) {
    if (!ec) cancelled = true;
  });
  Waited waited;
  asio::co_spawn(io, wait_for_callback(&store_thread, p.state, name, p.expires_at_ms, &cancelled),
                 [&](std::exception_ptr e, Waited w) {
                   signals.cancel();
                   if (e) std::rethrow_exception(e);
                   waited = std::move(w);
                 });
  io.run();
  closing = true;
  own.reset();

  return report_outcome(ctx, flow, waited);
}

}  // namespace

int cmd_connections_authorize(Context& ctx) {
  // The caller (cmd_connections_add) has checked the name, --login-url and --client-id.
  Flow flow;
  flow.name = ctx.args.words.at(2);
  flow.login_url = *ctx.args.get("login-url");
  while (!flow.login_url.empty() && flow.login_url.back() == '/') flow.login_url.pop_back();
  flow.client_id = *ctx.args.get("client-id");
  for (const char* other : {"refresh-token-stdin", "org-id", "allowed-domains"}) {
    if (ctx.args.has(other)) {
      return ctx.fail(invalid(
          std::string("--authorize cannot be combined with --") + other +
          " (the refresh token and org id come from Salesforce; set allowed recipient domains "
          "afterwards with `reportd connections set " +
          flow.name + " --allowed-domains ...`)"));
    }
  }
  if (Status st = read_common(ctx, flow); !st.ok()) return ctx.fail(st);
  auto opened = ctx.open_all();
  if (!opened.ok()) return ctx.fail(opened.status());
  if (opened->store->find_connection(flow.name).ok()) {
    return ctx.fail(Status::error(ErrorKind::kAlreadyExists,
                                  "a connection named \"" + flow.name +
                                      "\" already exists; "
                                      "use `reportd connections reauth " +
                                      flow.name + " --authorize ...` to connect it again"));
  }
  return run_flow(ctx, std::move(flow), opened->keys, opened->config, *opened->store);
}

int cmd_connections_reauthorize(Context& ctx) {
  Flow flow;
  flow.name = ctx.args.words.at(2);
  flow.reauth = true;
  if (ctx.args.has("refresh-token-stdin")) {
    return ctx.fail(
        invalid("--authorize gets the refresh token from Salesforce; leave out "
                "--refresh-token-stdin"));
  }
  if (Status st = read_common(ctx, flow); !st.ok()) return ctx.fail(st);
  auto opened = ctx.open_all();
  if (!opened.ok()) return ctx.fail(opened.status());
  auto c = opened->store->find_connection(flow.name);
  if (!c.ok()) return ctx.fail(c.status());
  flow.login_url = c->login_url;
  flow.client_id = c->client_id;
  if (flow.secret.empty() && !c->sealed_client_secret.empty()) {
    // Keep the connected app's secret the connection already has.
    crypto::Vault vault(opened->keys);
    auto secret = jobs::open_secret(vault, *c, jobs::Secret::kClientSecret);
    if (!secret.ok()) return ctx.fail(secret.status());
    flow.secret = std::move(secret).value();
  }
  return run_flow(ctx, std::move(flow), opened->keys, opened->config, *opened->store);
}

}  // namespace reportd::daemon
