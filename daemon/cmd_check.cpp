// reportd mail test --to ADDR | reportd connections test NAME, and the
// doctor's SMTP and connection checks: operators' checks of their settings,
// run in this process against the real services.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <ostream>

#include "daemon/commands.hpp"
#include "daemon/doctor.hpp"
#include "daemon/runtime.hpp"
#include "daemon/time_text.hpp"
#include "jobs/deliver/mail_test.hpp"

namespace asio = boost::asio;

namespace reportd::daemon {
namespace {

// Counts rows and keeps nothing: a connection test must not hold record values.
class CountingSink final : public table::RowSink {
 public:
  Status begin(const table::TableHeader&) override { return {}; }
  Status row(std::span<const table::Cell>) override {
    ++rows;
    return {};
  }
  Status end(const table::TableFooter&) override { return {}; }
  std::uint64_t rows = 0;
};

template <class T>
T run_on(asio::io_context& io, asio::awaitable<T> op) {
  T out{};
  io.restart();  // a second call on the same context
  asio::co_spawn(io, std::move(op), [&](std::exception_ptr e, T r) {
    if (e) std::rethrow_exception(e);
    out = std::move(r);
  });
  io.run();
  return out;
}

asio::awaitable<Status> test_query(salesforce::Api* api, CountingSink* sink) {
  co_return co_await api->query("SELECT Id FROM Organization", false, *sink);
}

// smtp_probe() as a Status for run_on(), what it saw in `seen`.
asio::awaitable<Status> probe_relay(deliver::SmtpConfig smtp, crypto::SecureBuffer password,
                                    std::string* seen) {
  Result<std::string> r = co_await deliver::smtp_probe(std::move(smtp), std::move(password));
  if (!r.ok()) co_return r.status();
  *seen = std::move(r).value();
  co_return Status();
}

DoctorCheck connection_failed(const store::Connection& now, const Status& st) {
  const std::string name = "connection " + now.name;
  const std::string reauth = "reportd connections reauth " + now.name +
                             " --refresh-token-stdin < TOKEN (or --authorize)";
  switch (now.status) {
    case store::ConnectionStatus::kNeedsReauth:
      return {name, DoctorCheck::State::kFail,
              "needs-reauth: Salesforce refused its grant: " + now.status_reason, reauth};
    case store::ConnectionStatus::kOrgMismatch:
      return {name, DoctorCheck::State::kFail, "org-mismatch: " + now.status_reason,
              reauth + " with a token of org " + now.org_id +
                  ", or remove the connection and add one for the other org"};
    case store::ConnectionStatus::kActive:
      break;
  }
  if (st.kind() == ErrorKind::kAuth) {
    // Not marked here: the doctor only looks. The next run or sync marks it
    // needs-reauth and tells the owners.
    return {name, DoctorCheck::State::kFail,
            "Salesforce refused its grant; runs and syncs will mark it needs-reauth: " +
                st.message(),
            reauth};
  }
  return {name, DoctorCheck::State::kFail, st.message(),
          "check the login URL, [salesforce] ca_file and the way out to Salesforce; "
          "`reportd connections test " + now.name + "` tries again"};
}

}  // namespace

DoctorCheck check_smtp(const Config& config) {
  if (!config.smtp) {
    return {"smtp", DoctorCheck::State::kWarn, "no [smtp] table: no report or notice is mailed",
            "add [smtp] (README.md, \"SMTP settings\"), then `reportd mail test --to ADDR`"};
  }
  const deliver::SmtpConfig& smtp = *config.smtp;
  const std::string relay = smtp.host + ":" + std::to_string(smtp.port);
  auto password = deliver::read_smtp_password(smtp);
  if (!password.ok()) {
    return {"smtp", DoctorCheck::State::kFail, password.status().message(),
            "a relative password_file is read from $CREDENTIALS_DIRECTORY: run the doctor "
            "under the service's credentials, or give an absolute path"};
  }
  asio::io_context io;
  std::string seen;
  Status st = run_on(io, probe_relay(smtp, std::move(password).value(), &seen));
  if (st.ok()) return {"smtp", DoctorCheck::State::kOk, relay + " " + seen, ""};
  std::string fix = "check smtp.host, smtp.port and that the relay is reachable from here";
  if (st.code() == "smtp-tls" || st.code() == "smtp-no-starttls") {
    fix = "the relay's certificate must name smtp.host and chain to the system store or "
          "smtp.ca_file; smtp.tls must match the port (starttls on 587, implicit on 465)";
  } else if (st.kind() == ErrorKind::kAuth) {
    fix = "check smtp.username and the password in smtp.password_file";
  }
  return {"smtp", DoctorCheck::State::kFail, relay + ": " + st.message(), fix};
}

std::vector<DoctorCheck> check_connections(const Config& config, const crypto::KeyRing& keys,
                                           store::SqliteStore& store) {
  auto conns = store.list_connections();
  if (!conns.ok()) {
    return {{"connections", DoctorCheck::State::kFail, conns.status().message(), "see store"}};
  }
  if (conns->empty()) {
    return {{"connections", DoctorCheck::State::kWarn, "none yet",
             "reportd connections add NAME ... (README.md, \"Connections\")"}};
  }
  std::vector<DoctorCheck> out;
  asio::io_context io;
  Runtime runtime(io, config, keys, store);
  for (const store::Connection& c : *conns) {
    if (c.status != store::ConnectionStatus::kActive) {
      out.push_back(connection_failed(c, Status()));
      continue;
    }
    auto api = runtime.clients.lease(c);
    CountingSink sink;
    Status st = api.ok() ? run_on(io, test_query(api->get(), &sink)) : api.status();
    auto now = store.get_connection(c.id);
    if (!now.ok()) {
      out.push_back({"connection " + c.name, DoctorCheck::State::kFail, now.status().message(), ""});
    } else if (!st.ok() || now->status != store::ConnectionStatus::kActive) {
      out.push_back(connection_failed(*now, st));
    } else {
      out.push_back({"connection " + c.name, DoctorCheck::State::kOk,
                     "token refreshed, org " + now->org_id +
                         (c.org_id.empty() ? " (pinned now)" : " as pinned") + ", query answered",
                     ""});
    }
  }
  return out;
}

int cmd_mail_test(Context& ctx) {
  auto to = ctx.args.get("to");
  if (!to) {
    return ctx.fail(Status::error(ErrorKind::kInvalidArgument,
                                  "mail test needs --to ADDR, where the test message goes"));
  }
  Result<Config> config = ctx.load_config();
  if (!config.ok()) return ctx.fail(config.status());
  if (!config->smtp) {
    return ctx.fail(Status::error(ErrorKind::kInvalidArgument,
                                  (config->path.empty() ? std::string(kDefaultConfig)
                                                        : config->path) +
                                      " has no [smtp] table; add host, port, tls and from "
                                      "(see README.md, \"SMTP settings\")"));
  }
  asio::io_context io;
  Status st = run_on(io, deliver::send_test_mail(*config->smtp, *to, now_ms(),
                                                  pipeline_options(*config).outputs.scratch));
  if (!st.ok()) return ctx.fail(st);
  ctx.out << "sent a test message with a sample report (CSV and XLSX) to " << *to << " through "
          << config->smtp->host << ":" << config->smtp->port << "\n";
  return 0;
}

int cmd_connections_test(Context& ctx) {
  auto opened = ctx.open_all();
  if (!opened.ok()) return ctx.fail(opened.status());
  auto conn = opened->store->find_connection(ctx.args.words.at(2));
  if (!conn.ok()) return ctx.fail(conn.status());
  asio::io_context io;
  Runtime runtime(io, opened->config, opened->keys, *opened->store);
  auto api = runtime.clients.lease(*conn);
  if (!api.ok()) return ctx.fail(api.status());
  CountingSink sink;
  Status st = run_on(io, test_query(api->get(), &sink));
  if (!st.ok()) {
    return ctx.fail(std::move(st).with_context("connection " + conn->name));
  }
  ctx.out << "connection " << conn->name << ": ok (token refreshed, query answered";
  if (auto usage = (*api)->api_usage()) {
    ctx.out << ", API usage " << usage->used << "/" << usage->limit << " today";
  }
  ctx.out << ")\n";
  return 0;
}

}  // namespace reportd::daemon
