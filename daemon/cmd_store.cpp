#include "daemon/cmd_store.hpp"

#include <filesystem>
#include <ostream>

#include "store/copy.hpp"
#include "store/open.hpp"

namespace reportd::daemon {

int cmd_store_migrate(Context& ctx) {
  auto to = ctx.args.get("to");
  if (!to) {
    return ctx.fail(Status::error(ErrorKind::kInvalidArgument,
                                  "store migrate needs --to postgresql://USER@HOST:PORT/DB"));
  }
  if (Status st = store::check_url(*to); !st.ok())
    return ctx.fail(std::move(st).with_context("--to"));
  Result<Config> config = ctx.load_config();
  if (!config.ok()) return ctx.fail(config.status());
  if (!std::filesystem::exists(ctx.db_path())) {
    return ctx.fail(Status::error(
        ErrorKind::kNotFound, "no SQLite store at " + ctx.db_path() + "; pass --state-dir DIR"));
  }
  auto from = store::SqliteStore::open(ctx.db_path());
  if (!from.ok()) return ctx.fail(from.status());
  Result<crypto::SecureBuffer> password = read_store_password(*config);
  if (!password.ok()) return ctx.fail(password.status());
  auto target = store::open(*to, password->view());
  if (!target.ok()) return ctx.fail(target.status());
  auto* pg = dynamic_cast<store::PgStore*>(target->get());
  if (pg == nullptr) return ctx.fail(Status::error(ErrorKind::kInternal, "not a PostgreSQL store"));
  auto copied = store::copy_to_postgres(**from, *pg);
  if (!copied.ok()) return ctx.fail(std::move(copied).status().with_context("store migrate"));
  ctx.out << "copied " << ctx.db_path() << " to postgresql " << store::describe_url(*to) << ":\n";
  for (const store::CopiedTable& t : *copied) {
    ctx.out << "  " << t.table << ": " << t.rows << " rows (counts match)\n";
  }
  ctx.out << "Set [store] url to it in the config of reportd serve and of the CLI, then start "
             "reportd; "
          << ctx.db_path() << " is left as it was.\n";
  return 0;
}

}  // namespace reportd::daemon
