// reportd sync CONNECTION [--full]: reads the org's Reportd_Schedule__c
// records now, in this process, straight into the store. A running daemon
// notices the change at its next heartbeat (the store's data_version).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <ostream>

#include "daemon/commands.hpp"
#include "daemon/runtime.hpp"
#include "daemon/sync_loop.hpp"

namespace asio = boost::asio;

namespace reportd::daemon {
namespace {

// co_spawn needs a result it can default-construct.
struct Outcome {
  Status error;
  sync::SyncReport report;
};

asio::awaitable<Outcome> sync_one(sync::ScheduleSync* s, store::Connection c, bool full) {
  Outcome out;
  auto r = co_await s->sync(std::move(c), full);
  if (r.ok()) {
    out.report = std::move(r).value();
  } else {
    out.error = std::move(r).status();
  }
  co_return out;
}

}  // namespace

int cmd_sync(Context& ctx) {
  auto opened = ctx.open_all();
  if (!opened.ok()) return ctx.fail(opened.status());
  auto conn = opened->store->find_connection(ctx.args.words.at(1));
  if (!conn.ok()) return ctx.fail(conn.status());
  if (conn->status == "needs-reauth") {
    return ctx.fail(Status::error(ErrorKind::kAuth,
                                  "connection " + conn->name + " needs re-authorization (" +
                                      conn->status_reason + "); run `reportd connections reauth " +
                                      conn->name + "` first"));
  }

  asio::io_context io;
  Runtime runtime(io, opened->config, opened->keys, *opened->store);
  sync::ScheduleSync syncer(runtime.store_thread, runtime.clients, runtime.clock,
                            sync_options(opened->config));
  Outcome out;
  asio::co_spawn(io, sync_one(&syncer, *conn, ctx.args.has("full")),
                 [&](std::exception_ptr e, Outcome o) {
                   if (e) std::rethrow_exception(e);
                   out = std::move(o);
                 });
  io.run();
  if (!out.error.ok()) return ctx.fail(out.error);

  const sync::SyncReport& r = out.report;
  ctx.out << "synced " << conn->name << (r.full ? " (every record)" : "") << ": " << r.records
          << " record(s) read; schedules " << r.added << " added, " << r.updated << " changed, "
          << r.removed << " removed, " << r.unchanged << " unchanged; " << r.invalid << " invalid, "
          << r.inactive << " inactive, " << r.deleted << " deleted; " << r.patched
          << " status(es) written back";
  if (r.held > 0) ctx.out << ", " << r.held << " left for the next sync";
  ctx.out << "\n";
  for (const auto& [record, reason] : r.invalid_records) {
    ctx.out << "invalid " << record << ": " << reason << "\n";  // newly found invalid
  }
  for (const Status& e : r.errors) ctx.err << "reportd: " << e.message() << "\n";
  return r.errors.empty() ? 0 : 1;
}

}  // namespace reportd::daemon
