// reportd mail test --to ADDR | reportd connections test NAME: operators'
// checks of their settings, run in this process against the real services.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <ostream>

#include "daemon/commands.hpp"
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

}  // namespace

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
