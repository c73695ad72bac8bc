// reportd runs [--schedule NAME] [--state STATE] | runs show ID
#include <boost/json.hpp>

#include <ostream>

#include "daemon/commands.hpp"
#include "daemon/text_table.hpp"
#include "daemon/time_text.hpp"

namespace reportd::daemon {
namespace {

boost::json::object run_json(const store::Run& r, const std::string& schedule) {
  return {{"id", r.id},
          {"schedule", schedule},
          {"nominal", iso_utc(r.nominal_s * 1000)},
          {"state", std::string(store::to_string(r.state))},
          {"reason", r.reason},
          {"error_code", r.error_code},
          {"attempt", r.attempt},
          {"started_at", iso_utc(r.started_at_ms)},
          {"finished_at", iso_utc(r.finished_at_ms)},
          {"disposed_at", iso_utc(r.disposed_at_ms)},
          {"rows", r.rows},
          {"bytes", r.bytes},
          {"truncated", r.truncated},
          {"ran_as", r.ran_as}};
}

std::string duration_text(const store::Run& r) {
  if (r.started_at_ms == 0 || r.finished_at_ms == 0) return "-";
  return std::to_string(r.finished_at_ms - r.started_at_ms) + "ms";
}

}  // namespace

int cmd_runs(Context& ctx) {
  auto opened = ctx.open_store();
  if (!opened.ok()) return ctx.fail(opened.status());
  store::Store& st = **opened;
  store::RunFilter f;
  if (auto name = ctx.args.get("schedule")) {
    auto s = st.find_schedule(*name);
    if (!s.ok()) return ctx.fail(s.status());
    f.schedule_id = s->id;
  }
  if (auto state = ctx.args.get("state")) {
    f.state = store::run_state_from(*state);
    if (!f.state) {
      return ctx.fail(Status::error(ErrorKind::kInvalidArgument,
                                    "--state must be one of pending, running, delivering, "
                                    "succeeded, failed, skipped, missed, cancelled"));
    }
  }
  auto runs = st.list_runs(f);
  if (!runs.ok()) return ctx.fail(runs.status());
  std::map<std::int64_t, std::string> names;
  if (auto all = st.list_schedules(); all.ok()) {
    for (const auto& s : *all) names[s.id] = s.name;
  }
  if (ctx.json()) {
    boost::json::array arr;
    for (const auto& r : *runs) arr.push_back(run_json(r, names[r.schedule_id]));
    ctx.out << boost::json::serialize(arr) << "\n";
    return 0;
  }
  TextTable t({"ID", "SCHEDULE", "OCCURRENCE", "STATE", "ROWS", "BYTES", "TOOK", "REASON"});
  for (const auto& r : *runs) {
    t.add({std::to_string(r.id), names[r.schedule_id], iso_utc(r.nominal_s * 1000),
           std::string(store::to_string(r.state)), std::to_string(r.rows),
           std::to_string(r.bytes), duration_text(r), r.reason});
  }
  t.print(ctx.out);
  ctx.out << "\n" << t.size() << " run(s) listed.\n";
  return 0;
}

int cmd_runs_show(Context& ctx) {
  auto opened = ctx.open_store();
  if (!opened.ok()) return ctx.fail(opened.status());
  store::Store& st = **opened;
  std::int64_t id = 0;
  try {
    id = std::stoll(ctx.args.words.at(2));
  } catch (const std::exception&) {
    return ctx.fail(Status::error(ErrorKind::kInvalidArgument,
                                  "runs show takes a run id (a number from `reportd runs`)"));
  }
  auto r = st.get_run(id);
  if (!r.ok()) return ctx.fail(r.status());
  auto s = st.get_schedule(r->schedule_id);
  boost::json::object o = run_json(*r, s.ok() ? s->name : "?");
  auto deliveries = st.list_deliveries(id);
  boost::json::array ds;
  if (deliveries.ok()) {
    for (const auto& d : *deliveries) {
      ds.push_back({{"channel", std::string(store::to_string(d.channel))},
                    {"recipient", d.recipient},
                    {"state", std::string(store::to_string(d.state))},
                    {"message_id", d.message_id},
                    {"content_document_id", d.content_document_id},
                    {"error", d.error},
                    // A burst's email: the rows that recipient got, as whom.
                    {"rows", d.rows >= 0 ? boost::json::value(d.rows) : nullptr},
                    {"ran_as", d.ran_as}});
    }
  }
  o["deliveries"] = ds;
  if (ctx.json()) {
    ctx.out << boost::json::serialize(o) << "\n";
    return 0;
  }
  for (const auto& [k, v] : o) {
    if (k == "deliveries") continue;
    ctx.out << std::string(k) << ": "
            << (v.is_string() ? std::string(v.as_string()) : boost::json::serialize(v)) << "\n";
  }
  ctx.out << "deliveries:\n";
  for (const auto& d : ds) {
    const auto& obj = d.as_object();
    auto text = [&](const char* k) { return std::string(obj.at(k).as_string()); };
    ctx.out << "  " << text("channel") << " " << text("recipient") << ": " << text("state");
    if (obj.at("rows").is_int64()) ctx.out << ", " << obj.at("rows").as_int64() << " rows";
    if (!text("ran_as").empty()) ctx.out << " as " << text("ran_as");
    if (!text("error").empty()) ctx.out << " (" << text("error") << ")";
    ctx.out << "\n";
  }
  return 0;
}

}  // namespace reportd::daemon
