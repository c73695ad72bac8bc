// reportd sync CONNECTION|--all [--full]: reads the orgs' Reportd_Schedule__c
// records now, in this process, straight into the store. A running daemon
// notices the change at once (on PostgreSQL, NOTIFY), else at its next
// periodic check (the store's data_version). It waits for no node: when one
// is syncing the connection, it says so (Store::begin_sync).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <limits>
#include <ostream>

#include "daemon/commands.hpp"
#include "daemon/runtime.hpp"
#include "daemon/sync_loop.hpp"
#include "jobs/connections.hpp"

namespace asio = boost::asio;

namespace reportd::daemon {
namespace {

// One connection's sync; co_spawn needs a result it can default-construct.
struct Outcome {
  store::Connection connection;
  bool skipped = false;  // needs-reauth or org-mismatch: not synced
  Status error;
  sync::SyncReport report;
};

// Every connection in turn, on one io_context: a connection marked
// needs-reauth is skipped, as the daemon does.
asio::awaitable<std::vector<Outcome>> sync_each(sync::ScheduleSync* s, store::StoreThread* db,
                                                std::vector<store::Connection> connections,
                                                bool full) {
  std::vector<Outcome> out;
  for (store::Connection& c : connections) {
    Outcome o;
    o.connection = c;
    if (c.status != store::ConnectionStatus::kActive) {
      o.skipped = true;
      out.push_back(std::move(o));
      continue;
    }
    // One sync of a connection at a time, whichever node or CLI runs it.
    const std::int64_t id = c.id;
    auto take = [id](store::Store& st) {
      return st.begin_sync(id, std::numeric_limits<std::int64_t>::max());
    };
    auto mine = co_await db->run(std::move(take));
    if (!mine.ok() || !*mine) {
      o.error = mine.ok() ? Status::error(ErrorKind::kTransient,
                                          "sync " + c.name + ": a reportd node is syncing it "
                                          "now; try again in a minute")
                          : mine.status();
      out.push_back(std::move(o));
      continue;
    }
    auto r = co_await s->sync(std::move(c), full);
    auto end = [id](store::Store& st) { return st.end_sync(id); };
    (void)co_await db->run(std::move(end));
    if (r.ok()) {
      o.report = std::move(r).value();
    } else {
      o.error = std::move(r).status();
    }
    out.push_back(std::move(o));
  }
  co_return out;
}

Status usage_error(std::string message) {
  return Status::error(ErrorKind::kInvalidArgument, std::move(message));
}

// The connection named on the command line, or "" for --all.
Result<std::string> target_of(const Args& args) {
  const std::size_t given = args.words.size() - 1;
  const bool all = args.has("all");
  if (all && given > 0) {
    return usage_error("`reportd sync` takes a CONNECTION or --all, not both; drop \"" +
                       args.words[1] + "\" to sync every connection, or --all to sync only it");
  }
  if (!all && given == 0) {
    return usage_error(
        "`reportd sync` needs the connection to sync, or --all for every connection; "
        "`reportd connections list` shows the names");
  }
  if (given > 1) {
    return usage_error("`reportd sync` takes one CONNECTION, got " + std::to_string(given) +
                       " (\"" + args.words[1] + "\", \"" + args.words[2] +
                       "\", ...); use --all to sync every connection");
  }
  return all ? std::string() : args.words[1];
}

void print_report(std::ostream& out, const std::string& name, const sync::SyncReport& r) {
  out << "synced " << name << (r.full ? " (every record)" : "") << ": " << r.records
      << " record(s) read; schedules " << r.added << " added, " << r.updated << " changed, "
      << r.removed << " removed, " << r.unchanged << " unchanged; " << r.invalid << " invalid, "
      << r.inactive << " inactive, " << r.deleted << " deleted; " << r.patched
      << " status(es) written back";
  if (r.held > 0) out << ", " << r.held << " left for the next sync";
  out << "\n";
  for (const auto& [record, reason] : r.invalid_records) {
    out << "invalid " << record << ": " << reason << "\n";  // newly found invalid
  }
  for (const std::string& w : r.warnings) out << "warning: " << w << "\n";
}

}  // namespace

int cmd_sync(Context& ctx) {
  auto target = target_of(ctx.args);
  if (!target.ok()) return ctx.fail(target.status());
  auto opened = ctx.open_all();
  if (!opened.ok()) return ctx.fail(opened.status());

  std::vector<store::Connection> connections;
  if (target->empty()) {
    auto all = opened->store->list_connections();
    if (!all.ok()) return ctx.fail(all.status());
    connections = std::move(all).value();
    if (connections.empty()) {
      ctx.out << "no connections to sync; add one with `reportd connections add`\n";
      return 0;
    }
  } else {
    auto conn = opened->store->find_connection(*target);
    if (!conn.ok() && conn.status().kind() == ErrorKind::kNotFound) {
      return ctx.fail(Status::error(ErrorKind::kNotFound,
                                    conn.status().message() +
                                        "; `reportd connections list` shows the names, and "
                                        "`reportd sync --all` syncs every connection"));
    }
    if (!conn.ok()) return ctx.fail(conn.status());
    if (Status st = jobs::usable(*conn); !st.ok()) return ctx.fail(st);
    connections.push_back(std::move(conn).value());
  }

  asio::io_context io;
  Runtime runtime(io, opened->config, opened->keys, *opened->store);
  sync::ScheduleSync syncer(runtime.store_thread, runtime.clients, runtime.clock,
                            sync_options(opened->config));
  // A revoked grant is marked and mailed here as in the daemon: otherwise no
  // run would ever find it (they skip a connection already marked).
  syncer.set_notices(&runtime.notices);
  std::vector<Outcome> outcomes;
  asio::co_spawn(io, sync_each(&syncer, &runtime.store_thread, std::move(connections), ctx.args.has("full")),
                 [&](std::exception_ptr e, std::vector<Outcome> o) {
                   if (e) std::rethrow_exception(e);
                   outcomes = std::move(o);
                 });
  io.run();

  int code = 0;
  for (const Outcome& o : outcomes) {
    const std::string& name = o.connection.name;
    if (o.skipped) {
      ctx.out << "skipped " << name << ": " << jobs::usable(o.connection).message() << "\n";
      continue;
    }
    if (!o.error.ok()) {
      ctx.err << "reportd: " << o.error.message() << "\n";
      code = 1;
      continue;
    }
    print_report(ctx.out, name, o.report);
    for (const Status& e : o.report.errors) ctx.err << "reportd: " << e.message() << "\n";
    if (!o.report.errors.empty()) code = 1;
  }
  return code;
}

}  // namespace reportd::daemon
