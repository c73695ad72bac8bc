#pragma once
// The CLI's command table: each command's words, usage, options and the
// function that runs it. main() parses argv, finds the command, checks its
// options and calls it.

#include <string>
#include <string_view>
#include <vector>

#include "daemon/context.hpp"

namespace reportd::daemon {

// Command::operand_count of a command that checks its own operands (`sync`
// takes a CONNECTION or --all).
inline constexpr std::size_t kOwnOperands = static_cast<std::size_t>(-1);

struct Command {
  std::vector<std::string_view> words;    // e.g. {"connections", "add"}
  std::string_view operands;              // e.g. "NAME", "" for none
  std::size_t operand_count;
  std::string_view summary;
  std::vector<OptionSpec> options;        // besides the global ones
  int (*run)(Context& ctx);
};

const std::vector<Command>& commands();

// The command whose words are the longest prefix of `words`, or null.
const Command* find_command(const std::vector<std::string>& words);

// Every option any command knows, for parse_args().
std::vector<OptionSpec> all_options();

// Runs the CLI; returns the process exit code.
int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

// Command implementations (one file per group).
int cmd_keys_generate(Context& ctx);
int cmd_keys_status(Context& ctx);
int cmd_keys_rotate(Context& ctx);
int cmd_connections_add(Context& ctx);
int cmd_connections_authorize(Context& ctx);  // connections add --authorize
int cmd_connections_reauthorize(Context& ctx);  // connections reauth --authorize
int cmd_connections_list(Context& ctx);
int cmd_connections_remove(Context& ctx);
int cmd_connections_set(Context& ctx);
int cmd_connections_set_jwt(Context& ctx);  // connections set --jwt-*
int cmd_connections_show(Context& ctx);
int cmd_connections_reauth(Context& ctx);
int cmd_config_check(Context& ctx);
int cmd_status(Context& ctx);
int cmd_cron_explain(Context& ctx);
int cmd_schedules_add(Context& ctx);
int cmd_schedules_set(Context& ctx);
int cmd_schedules_list(Context& ctx);
int cmd_schedules_show(Context& ctx);
int cmd_schedules_pause(Context& ctx);
int cmd_schedules_resume(Context& ctx);
int cmd_schedules_remove(Context& ctx);
int cmd_schedules_next(Context& ctx);
int cmd_runs(Context& ctx);
int cmd_run(Context& ctx);
int cmd_mail_test(Context& ctx);
int cmd_connections_test(Context& ctx);
int cmd_runs_show(Context& ctx);
int cmd_serve(Context& ctx);
int cmd_sync(Context& ctx);
int cmd_doctor(Context& ctx);
int cmd_version(Context& ctx);

}  // namespace reportd::daemon
