// reportd run NAME --now [--dry-run --out DIR]
#include <sys/stat.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <ostream>

#include "daemon/commands.hpp"
#include "daemon/runtime.hpp"
#include "daemon/time_text.hpp"

namespace asio = boost::asio;

namespace reportd::daemon {

int cmd_run(Context& ctx) {
  if (!ctx.args.has("now")) {
    return ctx.fail(Status::error(ErrorKind::kInvalidArgument,
                                  "run needs --now (reportd runs schedules by their cron; "
                                  "--now runs one immediately)"));
  }
  std::string out_dir;
  if (ctx.args.has("dry-run")) {
    auto out = ctx.args.get("out");
    if (!out) {
      return ctx.fail(Status::error(ErrorKind::kInvalidArgument,
                                    "--dry-run needs --out DIR, where the outputs are written"));
    }
    struct stat st {};
    if (::stat(out->c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return ctx.fail(Status::error(ErrorKind::kInvalidArgument,
                                    "--out " + *out + " is not an existing directory"));
    }
    out_dir = *out;
  } else if (ctx.args.has("out")) {
    return ctx.fail(Status::error(ErrorKind::kInvalidArgument, "--out only goes with --dry-run"));
  }
  auto opened = ctx.open_all();
  if (!opened.ok()) return ctx.fail(opened.status());
  store::Store& store = *opened->store;
  auto schedule = store.find_schedule(ctx.args.words.at(1));
  if (!schedule.ok()) return ctx.fail(schedule.status());

  // The run is an occurrence like any other: claimed, recorded, disposed.
  std::int64_t now = now_ms();
  auto claimed = store.claim_occurrence(schedule->id, now / 1000, store::RunState::kPending,
                                        out_dir.empty() ? "run --now" : "run --now --dry-run", now);
  if (!claimed.ok()) return ctx.fail(claimed.status());
  if (!claimed->has_value()) {
    return ctx.fail(Status::error(ErrorKind::kAlreadyExists,
                                  "an occurrence of " + schedule->name +
                                      " was claimed this very second; try again"));
  }
  asio::io_context io;
  Runtime runtime(io, opened->config, opened->keys, store, out_dir);
  jobs::RunOutcome outcome;
  asio::co_spawn(io, runtime.pipeline.execute(claimed->value()),
                 [&](std::exception_ptr e, jobs::RunOutcome o) {
                   if (e) std::rethrow_exception(e);
                   outcome = std::move(o);
                 });
  io.run();
  ctx.out << "run " << claimed->value() << " of " << schedule->name << ": "
          << store::to_string(outcome.state) << ", " << outcome.rows << " row(s)";
  if (!outcome.reason.empty()) ctx.out << "; " << outcome.reason;
  ctx.out << "\n";
  return outcome.state == store::RunState::kFailed ? 1 : 0;
}

}  // namespace reportd::daemon
