#include "daemon/commands.hpp"

#include <algorithm>
#include <ostream>

#include "daemon/cmd_store.hpp"
#include "daemon/complete.hpp"
#include "daemon/wake.hpp"

namespace reportd::daemon {
namespace {

const OptionSpec kOutput{"output", true, "text (default) or json"};

std::string command_name(const Command& c) {
  std::string name;
  for (std::string_view w : c.words) {
    if (!name.empty()) name += ' ';
    name += w;
  }
  return name;
}

void print_usage(std::ostream& out) {
  out << "usage: reportd [--state-dir DIR] [--key-file FILE] [--config FILE] COMMAND ...\n\n"
         "reportd sends scheduled Salesforce reports. Commands:\n";
  for (const Command& c : commands()) {
    std::string line = "  " + command_name(c);
    if (!c.operands.empty()) line += " " + std::string(c.operands);
    out << line << std::string(line.size() < 32 ? 32 - line.size() : 1, ' ') << c.summary << "\n";
  }
  out << "\nGlobal options:\n";
  for (const OptionSpec& o : global_options()) {
    out << "  --" << o.name << (o.takes_value ? " VALUE" : "") << "\n      " << o.help << "\n";
  }
  out << "\n`reportd COMMAND --help` describes one command.\n";
}

void print_command_help(const Command& c, std::ostream& out) {
  out << "usage: reportd " << command_name(c);
  if (!c.operands.empty()) out << " " << c.operands;
  for (const OptionSpec& o : c.options) {
    out << " [--" << o.name << (o.takes_value ? " VALUE" : "") << "]";
  }
  out << "\n\n" << c.summary << "\n";
  if (!c.options.empty()) out << "\nOptions:\n";
  for (const OptionSpec& o : c.options) {
    out << "  --" << o.name << (o.takes_value ? " VALUE" : "") << "\n      " << o.help << "\n";
  }
}

}  // namespace

const Command* find_command(const std::vector<std::string>& words) {
  const Command* best = nullptr;
  for (const Command& c : commands()) {
    if (c.words.size() > words.size()) continue;
    if (!std::equal(c.words.begin(), c.words.end(), words.begin())) continue;
    if (best == nullptr || c.words.size() > best->words.size()) best = &c;
  }
  return best;
}

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {{"serve"}, "", 0, "run the daemon in the foreground (systemd Type=notify)", {}, cmd_serve},
      {{"status"}, "", 0, "show whether the daemon runs, and what it holds", {kOutput},
       cmd_status},
      {{"config", "check"},
       "",
       0,
       "validate the config file (--config, else /etc/reportd/reportd.toml) and summarise it",
       {},
       cmd_config_check},
      {{"keys", "generate"},
       "",
       0,
       "write a new master key file (mode 0600)",
       {{"out", true, "file to write (required)"},
        {"add", false, "put a new primary key in front of the keys already in --out"}},
       cmd_keys_generate},
      {{"keys", "status"}, "", 0, "show how many tokens each key id seals", {kOutput},
       cmd_keys_status},
      {{"keys", "rotate"},
       "",
       0,
       "re-seal every token under the primary key, in one transaction",
       {},
       cmd_keys_rotate},
      {{"connections", "add"},
       "NAME",
       1,
       "connect a Salesforce org: pipe in a refresh token, or --authorize in a browser",
       {{"login-url", true, "https://login.salesforce.com, https://test.salesforce.com or "
                            "a My Domain URL (required)"},
        {"client-id", true, "the connected app's consumer key (required)"},
        {"client-secret-file", true, "file holding the connected app's consumer secret"},
        {"refresh-token-stdin", false,
         "read the refresh token from standard input (required without --authorize)"},
        {"authorize", false,
         "run the OAuth web-server flow (PKCE): print the URL to open, wait for the callback"},
        {"redirect-uri", true,
         "with --authorize: the connected app's callback URL, ending in /oauth/callback"},
        {"client-secret-stdin", false, "with --authorize: read the consumer secret from stdin"},
        {"timeout", true, "with --authorize: how long to wait for the callback (default 10m)"},
        {"org-id", true, "the org's 15- or 18-character id, if known"},
        {"allowed-domains", true,
         "recipient domains allowed for this org, separated by commas or spaces"}},
       cmd_connections_add},
      {{"connections", "set"},
       "NAME",
       1,
       "change a connection's allowed recipient domains (schedules that no longer pass "
       "are paused, with the reason) or its JWT bearer configuration",
       {{"allowed-domains", true,
         "the new list, separated by commas or spaces (\"\" for none: local schedules may "
         "then mail anyone, synced ones no one)"},
        {"jwt-consumer-key", true,
         "the consumer key of the connected app that holds the certificate (JWT bearer: "
         "schedules run as their owners)"},
        {"jwt-key-file", true, "with --jwt-consumer-key: the RSA private key in PEM"},
        {"jwt-cert-file", true,
         "with --jwt-key-file: the certificate uploaded to the connected app (checked against "
         "the key; its SHA-256 is shown)"},
        {"jwt-remove", false, "remove the JWT bearer configuration"}},
       cmd_connections_set},
      {{"connections", "show"},
       "NAME",
       1,
       "show one connection, with its JWT bearer configuration and fingerprints",
       {kOutput},
       cmd_connections_show},
      {{"connections", "list"}, "", 0, "list connected orgs", {kOutput}, cmd_connections_list},
      {{"connections", "remove"},
       "NAME",
       1,
       "remove a connection and its schedules",
       {},
       cmd_connections_remove},
      {{"connections", "reauth"},
       "NAME",
       1,
       "connect an org again after Salesforce revoked its grant (needs-reauth); the new "
       "refresh token is read from standard input",
       {{"refresh-token-stdin", false,
         "read the new refresh token from standard input (required without --authorize)"},
        {"authorize", false, "run the OAuth web-server flow (PKCE) in a browser instead"},
        {"redirect-uri", true,
         "with --authorize: the connected app's callback URL, ending in /oauth/callback"},
        {"client-secret-stdin", false,
         "with --authorize: a new consumer secret on stdin (default: keep the stored one)"},
        {"client-secret-file", true, "with --authorize: a new consumer secret in this file"},
        {"timeout", true, "with --authorize: how long to wait for the callback (default 10m)"}},
       cmd_connections_reauth},
      {{"store", "migrate"},
       "",
       0,
       "copy the SQLite store of the state directory into an empty PostgreSQL database",
       {{"to", true, "postgresql://USER@HOST:PORT/DB?sslmode=verify-full&sslrootcert=FILE"}},
       cmd_store_migrate},
      {{"schedules", "add"},
       "NAME",
       1,
       "add a local schedule",
       {{"connection", true, "the connection to query (required)"},
        {"cron", true, "when: 5 or 6 cron fields, e.g. '0 8 * * 1-5' (required)"},
        {"tz", true, "IANA time zone (default: [defaults] time_zone, else UTC)"},
        {"soql", true, "source: a SOQL query, run through the REST API"},
        {"report", true, "source: a report id (00O...), run through the Reports API"},
        {"bulk", true, "source: a SOQL query, run as a Bulk API 2.0 job"},
        {"format", true, "csv, xlsx, pdf and/or html, comma-separated (default csv)"},
        {"to", true, "recipients, separated by commas, semicolons or spaces"},
        {"subject", true, "e-mail subject (default: the schedule's name)"},
        {"body", true, "text shown in the e-mail above the summary"},
        {"owner", true, "address that gets failure notices for this schedule"},
        {"send-when-empty", false, "send even when the report has no rows"},
        {"min-rows", true, "send only when the report has at least this many rows"},
        {"when", true, "always (default) or changed: send only when the rows differ from the last sent"},
        {"run-as", true,
         "integration (default: the connection's own user) or a USERNAME of the org: the "
         "query runs with that user's access (JWT bearer; `connections set --jwt-*`)"},
        {"burst", false,
         "each recipient who is an active user of the org gets the report run as themselves; "
         "others get nothing"},
        {"files-target", true, "also upload outputs to Salesforce Files on this record id"},
        {"catchup", true, "run a missed occurrence if at most this late (default 6h)"},
        {"splay", true, "spread the start by up to this long, fixed per schedule"},
        {"min-interval", true, "refuse cron expressions that fire more often (default 5m)"},
        {"overlap", true, "skip (default) or queue an occurrence while the last still runs"}},
       cmd_schedules_add},
      {{"schedules", "set"},
       "NAME",
       1,
       "change a local schedule's e-mail body, recipients, subject, send condition, run-as user or burst",
       {{"body", true, "text shown in the e-mail above the summary (\"\" for none)"},
        {"run-as", true, "integration or a USERNAME of the org"},
        {"burst", false, "each recipient gets the report run as their own user"},
        {"no-burst", false, "one report, run as the run-as user, for every recipient"},
        {"to", true, "recipients, separated by commas, semicolons or spaces"},
        {"subject", true, "e-mail subject (\"\" for the default)"},
        {"when", true, "always or changed: send only when the rows differ from the last sent"}},
       cmd_schedules_set},
      {{"schedules", "list"}, "", 0, "list schedules with next and last run", {kOutput},
       cmd_schedules_list},
      {{"schedules", "show"}, "NAME", 1, "show one schedule", {kOutput}, cmd_schedules_show},
      {{"schedules", "pause"},
       "NAME",
       1,
       "stop scheduling NAME until resumed",
       {{"reason", true, "shown in schedules list"}},
       cmd_schedules_pause},
      {{"schedules", "resume"}, "NAME", 1, "resume a paused schedule", {}, cmd_schedules_resume},
      {{"schedules", "remove"}, "NAME", 1, "remove a schedule and its run history", {},
       cmd_schedules_remove},
      {{"schedules", "next"},
       "NAME",
       1,
       "print the schedule's next fire times",
       {{"count", true, "how many (-n; default 10)"}, kOutput},
       cmd_schedules_next},
      {{"run"},
       "NAME",
       1,
       "run a schedule now, in this process, and record it like any other run",
       {{"now", false, "run immediately (required)"},
        {"dry-run", false, "write the outputs to --out instead of delivering them"},
        {"out", true, "directory for --dry-run outputs"}},
       cmd_run},
      {{"runs"},
       "",
       0,
       "list recent runs, newest first",
       {{"schedule", true, "only this schedule's runs"},
        {"state", true, "only runs in this state, e.g. failed"},
        kOutput},
       cmd_runs},
      {{"runs", "show"}, "ID", 1, "show one run and its deliveries", {kOutput}, cmd_runs_show},
      {{"cron", "explain"},
       "EXPR",
       1,
       "print the normalised expression and its next fire times, marking DST moves",
       {{"tz", true, "IANA time zone, e.g. Europe/Berlin (default UTC)"},
        {"from", true, "start after this RFC 3339 instant (default now)"},
        {"count", true, "how many fire times (-n; default 10)"},
        kOutput},
       cmd_cron_explain},
      {{"connections", "test"},
       "NAME",
       1,
       "refresh the org's token and run a tiny query, to check the connection",
       {},
       cmd_connections_test},
      {{"mail", "test"},
       "",
       0,
       "send a test message with a sample report through the configured [smtp] relay",
       {{"to", true, "recipient address (required)"}},
       cmd_mail_test},
      {{"sync"},
       "CONNECTION|--all",
       kOwnOperands,
       "read the org's schedule records (Reportd_Schedule__c) now; the daemon also does "
       "at start and every [sync] interval_minutes",
       {{"all", false, "sync every connection not marked needs-reauth, instead of one"},
        {"full", false, "read every record, not only those changed since the last sync"}},
       cmd_sync},
      {{"doctor"},
       "",
       0,
       "check config, key, store, SMTP relay, each connection, the HTTP endpoint and the "
       "clock; a fix for each failure",
       {kOutput},
       cmd_doctor},
      {{"version"}, "", 0, "print the version", {}, cmd_version},
  };
  return kCommands;
}

std::vector<OptionSpec> all_options() {
  std::vector<OptionSpec> all = global_options();
  for (const Command& c : commands()) {
    for (const OptionSpec& o : c.options) {
      bool seen = std::any_of(all.begin(), all.end(),
                              [&](const OptionSpec& a) { return a.name == o.name; });
      if (!seen) all.push_back(o);
    }
  }
  all.push_back({"count", true, ""});  // -n
  return all;
}

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  // doc/reportd.bash: hidden, before parse_args, which would refuse a half-typed option.
  if (argc >= 2 && std::string_view(argv[1]) == "__complete") {
    return run_complete(std::vector<std::string>(argv + 2, argv + argc), out);
  }
  Result<Args> args = parse_args(argc, argv, all_options());
  if (!args.ok()) {
    err << "reportd: " << args.status().message() << "\n";
    return 2;
  }
  if (args->words.empty()) {
    print_usage(args->has("help") ? out : err);
    return args->has("help") ? 0 : 2;
  }
  const Command* cmd = find_command(args->words);
  if (cmd == nullptr) {
    err << "reportd: unknown command \"" << args->words.front()
        << "\"; `reportd --help` lists the commands\n";
    return 2;
  }
  if (args->has("help")) {
    print_command_help(*cmd, out);
    return 0;
  }
  std::vector<std::string_view> allowed;
  for (const OptionSpec& o : cmd->options) allowed.push_back(o.name);
  std::string name = command_name(*cmd);
  const std::size_t operands = cmd->operand_count == kOwnOperands
                                   ? args->words.size() - cmd->words.size()
                                   : cmd->operand_count;
  if (Status st = check_allowed(*args, name, allowed, cmd->words.size(), operands); !st.ok()) {
    err << "reportd: " << st.message() << "\n";
    return 2;
  }
  if (auto o = args->get("output"); o && *o != "text" && *o != "json") {
    err << "reportd: --output must be \"text\" or \"json\", not \"" << *o << "\"\n";
    return 2;
  }
  Context ctx{std::move(args).value(), out, err};
  const int code = cmd->run(ctx);
  // The daemon reloads at once when the store moved; its heartbeat would
  // notice within 5 s anyway.
  if (ctx.opened_store && cmd->run != cmd_serve) wake_daemon(wake_socket_path(ctx.state_dir()));
  return code;
}

int cmd_version(Context& ctx) {
  ctx.out << "reportd " << REPORTD_VERSION << "\n";
  return 0;
}

}  // namespace reportd::daemon
