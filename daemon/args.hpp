#pragma once
// Command-line parsing for the reportd CLI: positional words name the
// command ("connections add acme"), options are --name VALUE, --name=VALUE
// or boolean --name. Every mistake becomes an error that names the option
// and says what to do.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "table/status.hpp"

namespace reportd::daemon {

struct OptionSpec {
  std::string_view name;  // without the leading "--"
  bool takes_value;
  std::string_view help;
};

class Args {
 public:
  std::vector<std::string> words;  // positional, in order
  std::map<std::string, std::string, std::less<>> values;
  std::set<std::string, std::less<>> flags;

  bool has(std::string_view name) const {
    return flags.count(name) != 0 || values.count(name) != 0;
  }
  std::optional<std::string> get(std::string_view name) const;
  std::string get_or(std::string_view name, std::string fallback) const;
};

// The options every command accepts.
const std::vector<OptionSpec>& global_options();

// Parses argv[1..] against the union of all options reportd knows; which
// ones a command accepts is checked later by check_allowed().
Result<Args> parse_args(int argc, const char* const* argv, const std::vector<OptionSpec>& known);

// Fails if `args` carries an option outside `allowed` + the global ones, or
// if the number of positional words after the command is not `operands`.
Status check_allowed(const Args& args, std::string_view command,
                     const std::vector<std::string_view>& allowed, std::size_t command_words,
                     std::size_t operands);

}  // namespace reportd::daemon
