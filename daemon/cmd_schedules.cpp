// reportd schedules add | list | show | pause | resume | remove | next
#include <boost/json.hpp>

#include <chrono>
#include <ostream>

#include "daemon/commands.hpp"
#include "daemon/runtime.hpp"
#include "jobs/deliver/recipients.hpp"
#include "daemon/text_table.hpp"
#include "daemon/time_text.hpp"
#include "jobs/cron_explain.hpp"
#include "jobs/next_fire.hpp"
#include "jobs/schedule_check.hpp"
#include "store/sqlite_store.hpp"

namespace reportd::daemon {
namespace {

Status invalid(std::string m) { return Status::error(ErrorKind::kInvalidArgument, std::move(m)); }

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out = store::split(s, ',');
  for (auto& item : out) {
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
  }
  std::erase(out, std::string());
  return out;
}

Result<std::int64_t> duration_option(const Context& ctx, const char* name, std::int64_t fallback) {
  auto v = ctx.args.get(name);
  if (!v) return fallback;
  auto d = parse_duration(*v);
  if (!d.ok()) {
    return invalid(std::string("--") + name + " must be a duration such as 90s, 15m or 6h, not \"" +
                   *v + "\"");
  }
  return *d;
}

// The one source of --soql, --report and --bulk.
Status read_source(const Context& ctx, store::Schedule& s) {
  int sources = ctx.args.has("soql") + ctx.args.has("report") + ctx.args.has("bulk");
  if (sources != 1) {
    return invalid("schedules add needs exactly one of --soql QUERY, --report ID or --bulk QUERY");
  }
  if (auto q = ctx.args.get("soql")) {
    s.source_kind = store::SourceKind::kSoql;
    s.source = *q;
  } else if (auto r = ctx.args.get("report")) {
    s.source_kind = store::SourceKind::kReport;
    s.source = *r;
  } else {
    s.source_kind = store::SourceKind::kBulk;
    s.source = *ctx.args.get("bulk");
  }
  return {};
}

Result<store::SendWhen> when_option(std::string_view v) {
  if (auto w = store::send_when_from(v)) return *w;
  return invalid("--when: \"" + std::string(v) + "\" is not a condition; use always or changed");
}

// Synced schedules belong to their Salesforce record: the sync would undo
// any edit, so the CLI leaves them alone.
Status refuse_synced(const store::Schedule& s, std::string_view what) {
  return Status::error(ErrorKind::kInvalidArgument,
                       "schedule \"" + s.name + "\" is defined in Salesforce (record " +
                           s.sf_record_id + "); " + std::string(what) +
                           " the record there: switch off Active__c or delete it, and the next "
                           "sync (or `reportd sync CONNECTION`) removes it here");
}

// The next fire after now, as (utc ms, text), or (0, "never"/"invalid").
std::pair<std::int64_t, std::string> next_fire_text(const store::Schedule& s) {
  auto cron = jobs::parse_cron(s.cron);
  auto zone = jobs::find_zone(s.tz);
  if (!cron.ok() || !zone.ok()) return {0, "invalid"};
  auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  auto f = jobs::next_fire(*cron, **zone, now);
  if (!f) return {0, "never"};
  std::int64_t ms = f->utc.time_since_epoch().count() * 1000;
  return {ms, date::format("%F %T %Z", date::make_zoned(*zone, f->utc))};
}

// --run-as for a local schedule: "integration" or a username of the org. A
// local schedule has no record owner, so "owner" is refused.
Result<store::RunAs> run_as_option(const std::string& text) {
  if (text == "owner") {
    return invalid("--run-as owner is for schedules synced from Salesforce (their record "
                   "owner); give a USERNAME or integration");
  }
  if (text == "integration") return store::RunAs{};
  if (text.find('@') == std::string::npos || text.find_first_of(" \t,;") != std::string::npos) {
    return invalid("--run-as must be integration or a Salesforce username (name@domain), not \"" +
                   text + "\"");
  }
  return store::RunAs{store::RunAsKind::kUser, text};
}

// Applies --run-as, when given, to `s`.
Status apply_run_as(Context& ctx, store::Schedule& s) {
  auto as = ctx.args.get("run-as");
  if (!as) return {};
  auto parsed = run_as_option(*as);
  if (!parsed.ok()) return parsed.status();
  s.run_as = *parsed;
  return {};
}

// Applies --burst / --no-burst, when given, to `s`.
Status apply_burst(Context& ctx, store::Schedule& s) {
  if (ctx.args.has("burst") && ctx.args.has("no-burst")) {
    return invalid("give --burst or --no-burst, not both");
  }
  if (ctx.args.has("burst")) s.burst = true;
  if (ctx.args.has("no-burst")) s.burst = false;
  return {};
}

// Who the schedule's runs act as, for people.
std::string run_as_text(const store::Schedule& s) {
  if (s.burst) return "each recipient (burst)";
  if (s.run_as.kind == store::RunAsKind::kOwner) {
    return "owner (" + (s.owner_username.empty() ? std::string("not yet known") : s.owner_username) + ")";
  }
  if (s.run_as.kind == store::RunAsKind::kUser) return s.run_as.username;
  return "integration";
}

// Whom the schedule's latest run acted as ("" before any ran).
std::string last_ran_as(store::Store& st, std::int64_t schedule_id) {
  auto last = st.last_run(schedule_id);
  return last.ok() && last->has_value() ? last->value().ran_as : std::string();
}

Result<store::Schedule> find(Context& ctx, store::Store& st) {
  return st.find_schedule(ctx.args.words.at(2));
}

}  // namespace

int cmd_schedules_add(Context& ctx) {
  auto config = ctx.load_config();
  if (!config.ok()) return ctx.fail(config.status());
  auto opened = ctx.open_store();
  if (!opened.ok()) return ctx.fail(opened.status());
  store::Store& st = **opened;

  store::Schedule s;
  s.name = ctx.args.words.at(2);
  auto conn_name = ctx.args.get("connection");
  if (!conn_name) return ctx.fail(invalid("schedules add needs --connection NAME"));
  auto conn = st.find_connection(*conn_name);
  if (!conn.ok()) return ctx.fail(conn.status());
  s.connection_id = conn->id;
  auto cron = ctx.args.get("cron");
  if (!cron) return ctx.fail(invalid("schedules add needs --cron EXPR, e.g. --cron '0 8 * * 1-5'"));
  s.cron = *cron;
  s.tz = ctx.args.get_or("tz", config->default_tz);
  if (Status src = read_source(ctx, s); !src.ok()) return ctx.fail(src);
  s.formats = split_list(ctx.args.get_or("format", "csv"));
  auto to = deliver::split_recipients(ctx.args.get_or("to", ""));
  if (!to.ok()) return ctx.fail(invalid("--to: " + to.status().message()));
  s.recipients = std::move(to).value();
  s.subject = ctx.args.get_or("subject", "");
  s.body = ctx.args.get_or("body", "");
  if (auto owner = ctx.args.get("owner"); owner && !owner->empty()) {
    auto a = deliver::parse_address(*owner);
    if (!a.ok()) return ctx.fail(invalid("--owner: " + a.status().message()));
    s.owner_email = std::move(a).value();
  }
  s.send_when_empty = ctx.args.has("send-when-empty");
  if (auto m = ctx.args.get("min-rows")) {
    try {
      s.min_rows = std::stoll(*m);
    } catch (const std::exception&) {
      return ctx.fail(invalid("--min-rows must be a whole number, not \"" + *m + "\""));
    }
  }
  auto when = when_option(ctx.args.get_or("when", "always"));
  if (!when.ok()) return ctx.fail(when.status());
  s.send_when = *when;
  if (Status as = apply_run_as(ctx, s); !as.ok()) return ctx.fail(as);
  if (Status b = apply_burst(ctx, s); !b.ok()) return ctx.fail(b);
  s.files_target = ctx.args.get_or("files-target", "");
  auto overlap = ctx.args.get_or("overlap", "skip");
  if (overlap != "skip" && overlap != "queue") {
    return ctx.fail(invalid("--overlap must be skip or queue, not \"" + overlap + "\""));
  }
  s.overlap = overlap == "queue" ? store::Overlap::kQueue : store::Overlap::kSkip;
  auto catchup = duration_option(ctx, "catchup", config->catchup_s);
  auto splay = duration_option(ctx, "splay", 0);
  auto min_interval = duration_option(ctx, "min-interval", config->min_interval_s);
  for (auto* r : {&catchup, &splay, &min_interval}) {
    if (!r->ok()) return ctx.fail(r->status());
  }
  s.catchup_seconds = *catchup;
  s.splay_seconds = *splay;
  s.min_interval_seconds = *min_interval;
  s.created_at_ms = now_ms();
  if (Status v = jobs::check_schedule(s, jobs::domain_policy(s, *conn, domain_rules(*config)));
      !v.ok()) {
    if (v.message().rfind("schedule", 0) == 0) return ctx.fail(v);
    return ctx.fail(std::move(v).with_context("schedule \"" + s.name + "\""));
  }
  auto id = st.add_schedule(s);
  if (!id.ok()) return ctx.fail(id.status());
  ctx.out << "added schedule " << s.name << "; next run " << next_fire_text(s).second << "\n";
  return 0;
}

int cmd_schedules_list(Context& ctx) {
  auto opened = ctx.open_store();
  if (!opened.ok()) return ctx.fail(opened.status());
  store::Store& st = **opened;
  auto all = st.list_schedules();
  if (!all.ok()) return ctx.fail(all.status());
  std::int64_t now = now_ms();
  boost::json::array arr;
  TextTable t({"NEXT", "LEFT", "LAST", "PASSED", "RESULT", "SCHEDULE", "CRON", "ZONE", "WHEN", "STATE",
               "RUNS AS"});
  for (const store::Schedule& s : *all) {
    auto [next_ms, next_text] = s.paused ? std::pair<std::int64_t, std::string>{0, "-"}
                                         : next_fire_text(s);
    auto last = st.last_run(s.id);
    std::string last_text = "-", passed = "-", result = "-";
    std::int64_t last_ms = 0;
    if (last.ok() && last->has_value()) {
      last_ms = last->value().nominal_s * 1000;
      last_text = iso_utc(last_ms);
      passed = human_duration(now - last_ms) + " ago";
      result = std::string(store::to_string(last->value().state));
    }
    std::string state = s.paused ? "paused" : "active";
    if (s.paused && !s.pause_reason.empty()) state += " (" + s.pause_reason + ")";
    if (ctx.json()) {
      arr.push_back({{"name", s.name},
                     {"next", next_ms ? boost::json::value(iso_utc(next_ms)) : nullptr},
                     {"last", last_ms ? boost::json::value(last_text) : nullptr},
                     {"last_result", result},
                     {"cron", s.cron},
                     {"tz", s.tz},
                     {"paused", s.paused},
                     {"pause_reason", s.pause_reason},
                     {"send_when", std::string(store::to_string(s.send_when))},
                     {"origin", std::string(store::to_string(s.origin))},
                     {"run_as", store::to_string(s.run_as)},
                     {"owner_username", s.owner_username},
                     {"burst", s.burst},
                     {"last_ran_as", last.ok() && last->has_value() ? last->value().ran_as : ""}});
      continue;
    }
    t.add({next_text, next_ms ? human_duration(next_ms - now) : "-", last_text, passed, result,
           s.name, s.cron, s.tz, std::string(store::to_string(s.send_when)), state, run_as_text(s)});
  }
  if (ctx.json()) {
    ctx.out << boost::json::serialize(arr) << "\n";
  } else {
    t.print(ctx.out);
    ctx.out << "\n" << t.size() << " schedule(s) listed.\n";
  }
  return 0;
}

int cmd_schedules_show(Context& ctx) {
  auto opened = ctx.open_store();
  if (!opened.ok()) return ctx.fail(opened.status());
  auto s = find(ctx, **opened);
  if (!s.ok()) return ctx.fail(s.status());
  auto conn = (*opened)->get_connection(s->connection_id);
  std::string kind(store::to_string(s->source_kind));
  boost::json::object o{{"name", s->name},
                        {"connection", conn.ok() ? conn->name : "?"},
                        {"origin", std::string(store::to_string(s->origin))},
                        {"sf_record_id", s->sf_record_id},
                        {"cron", s->cron},
                        {"tz", s->tz},
                        {"source_kind", kind},
                        {"source", s->source},
                        {"formats", store::join(s->formats, ',')},
                        {"recipients", store::join(s->recipients, ',')},
                        {"subject", s->subject},
                        {"body", s->body},
                        {"owner", s->owner_email},
                        {"send_when_empty", s->send_when_empty},
                        {"min_rows", s->min_rows},
                        {"send_when", std::string(store::to_string(s->send_when))},
                        {"files_target", s->files_target},
                        {"paused", s->paused},
                        {"pause_reason", s->pause_reason},
                        {"catchup_seconds", s->catchup_seconds},
                        {"splay_seconds", s->splay_seconds},
                        {"min_interval_seconds", s->min_interval_seconds},
                        {"overlap", s->overlap == store::Overlap::kQueue ? "queue" : "skip"},
                        {"run_as", run_as_text(*s)},
                        {"burst", s->burst},
                        {"last_ran_as", last_ran_as(**opened, s->id)},
                        {"next", next_fire_text(*s).second}};
  if (ctx.json()) {
    ctx.out << boost::json::serialize(o) << "\n";
    return 0;
  }
  for (const auto& [k, v] : o) {
    ctx.out << std::string(k) << ": "
            << (v.is_string() ? std::string(v.as_string()) : boost::json::serialize(v)) << "\n";
  }
  return 0;
}

int cmd_schedules_set(Context& ctx) {
  auto config = ctx.load_config();
  if (!config.ok()) return ctx.fail(config.status());
  auto opened = ctx.open_store();
  if (!opened.ok()) return ctx.fail(opened.status());
  store::Store& st = **opened;
  auto s = find(ctx, st);
  if (!s.ok()) return ctx.fail(s.status());
  if (s->origin == store::ScheduleOrigin::kSalesforce) return ctx.fail(refuse_synced(*s, "to change it, edit"));
  if (!ctx.args.has("body") && !ctx.args.has("to") && !ctx.args.has("subject") &&
      !ctx.args.has("when") && !ctx.args.has("run-as") && !ctx.args.has("burst") &&
      !ctx.args.has("no-burst")) {
    return ctx.fail(invalid("schedules set needs at least one of --body, --to, --subject, --when, "
                            "--run-as, --burst, --no-burst"));
  }
  if (auto when = ctx.args.get("when")) {
    auto w = when_option(*when);
    if (!w.ok()) return ctx.fail(w.status());
    s->send_when = *w;
  }
  if (Status as = apply_run_as(ctx, *s); !as.ok()) return ctx.fail(as);
  if (Status b = apply_burst(ctx, *s); !b.ok()) return ctx.fail(b);
  if (auto body = ctx.args.get("body")) s->body = *body;
  if (auto subject = ctx.args.get("subject")) s->subject = *subject;
  if (auto to = ctx.args.get("to")) {
    auto list = deliver::split_recipients(*to);
    if (!list.ok()) return ctx.fail(invalid("--to: " + list.status().message()));
    s->recipients = std::move(list).value();
  }
  auto conn = st.get_connection(s->connection_id);
  if (!conn.ok()) return ctx.fail(conn.status());
  if (Status v = jobs::check_schedule(*s, jobs::domain_policy(*s, *conn, domain_rules(*config)));
      !v.ok()) {
    return ctx.fail(std::move(v).with_context("schedule \"" + s->name + "\""));
  }
  if (Status u = st.update_schedule(*s); !u.ok()) return ctx.fail(u);
  ctx.out << "changed schedule " << s->name << "\n";
  return 0;
}

static int set_paused(Context& ctx, bool paused) {
  auto opened = ctx.open_store();
  if (!opened.ok()) return ctx.fail(opened.status());
  auto s = find(ctx, **opened);
  if (!s.ok()) return ctx.fail(s.status());
  std::string reason = paused ? ctx.args.get_or("reason", "paused by operator") : "";
  if (Status st = (*opened)->set_schedule_paused(s->id, paused, reason); !st.ok()) {
    return ctx.fail(st);
  }
  ctx.out << (paused ? "paused " : "resumed ") << s->name << "\n";
  return 0;
}

int cmd_schedules_pause(Context& ctx) { return set_paused(ctx, true); }
int cmd_schedules_resume(Context& ctx) { return set_paused(ctx, false); }

int cmd_schedules_remove(Context& ctx) {
  auto opened = ctx.open_store();
  if (!opened.ok()) return ctx.fail(opened.status());
  auto s = find(ctx, **opened);
  if (!s.ok()) return ctx.fail(s.status());
  if (s->origin == store::ScheduleOrigin::kSalesforce) return ctx.fail(refuse_synced(*s, "to remove it, change"));
  if (Status st = (*opened)->remove_schedule(ctx.args.words.at(2)); !st.ok()) return ctx.fail(st);
  ctx.out << "removed schedule " << ctx.args.words.at(2) << "\n";
  return 0;
}

int cmd_schedules_next(Context& ctx) {
  auto opened = ctx.open_store();
  if (!opened.ok()) return ctx.fail(opened.status());
  auto s = find(ctx, **opened);
  if (!s.ok()) return ctx.fail(s.status());
  jobs::ExplainOptions o;
  o.expression = s->cron;
  o.zone = s->tz;
  o.json = ctx.json();
  if (auto n = ctx.args.get("count")) {
    try {
      o.count = std::stoi(*n);
    } catch (const std::exception&) {
      return ctx.fail(invalid("-n must be a whole number, not \"" + *n + "\""));
    }
  }
  auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  auto text = jobs::cron_explain(o, now);
  if (!text.ok()) return ctx.fail(text.status());
  ctx.out << *text;
  if (!text->empty() && text->back() != '\n') ctx.out << "\n";
  return 0;
}

}  // namespace reportd::daemon
