// reportd cron explain EXPR --tz ZONE [--from RFC3339] [-n N] [--output json]
#include <chrono>
#include <ostream>

#include "daemon/commands.hpp"
#include "jobs/cron_explain.hpp"

namespace reportd::daemon {

int cmd_cron_explain(Context& ctx) {
  jobs::ExplainOptions o;
  o.expression = ctx.args.words.at(2);
  o.zone = ctx.args.get_or("tz", "UTC");
  o.from = ctx.args.get("from");
  o.json = ctx.json();
  if (auto n = ctx.args.get("count")) {
    try {
      std::size_t used = 0;
      o.count = std::stoi(*n, &used);
      if (used != n->size()) throw std::invalid_argument(*n);
    } catch (const std::exception&) {
      return ctx.fail(Status::error(ErrorKind::kInvalidArgument,
                                    "-n must be a whole number of fires, not \"" + *n + "\""));
    }
  }
  auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  Result<std::string> text = jobs::cron_explain(o, now);
  if (!text.ok()) return ctx.fail(text.status());
  ctx.out << *text;
  if (!text->empty() && text->back() != '\n') ctx.out << "\n";
  return 0;
}

}  // namespace reportd::daemon
