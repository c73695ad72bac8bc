#include "daemon/args.hpp"

#include <algorithm>

namespace reportd::daemon {

std::optional<std::string> Args::get(std::string_view name) const {
  auto it = values.find(name);
  if (it == values.end()) return std::nullopt;
  return it->second;
}

std::string Args::get_or(std::string_view name, std::string fallback) const {
  auto v = get(name);
  return v ? *v : std::move(fallback);
}

const std::vector<OptionSpec>& global_options() {
  static const std::vector<OptionSpec> kGlobal = {
      {"state-dir", true, "state directory (default /var/lib/reportd)"},
      {"key-file", true, "master key file (default $CREDENTIALS_DIRECTORY/master.key)"},
      {"config", true, "config file (default /etc/reportd/reportd.toml)"},
      {"help", false, "show help"},
  };
  return kGlobal;
}

Result<Args> parse_args(int argc, const char* const* argv, const std::vector<OptionSpec>& known) {
  Args args;
  auto find = [&](std::string_view name) -> const OptionSpec* {
    for (const OptionSpec& o : known) {
      if (o.name == name) return &o;
    }
    return nullptr;
  };
  bool only_words = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (only_words || a.size() < 3 || a.substr(0, 2) != "--") {
      if (a == "--") {
        only_words = true;
        continue;
      }
      if (!only_words && a.size() > 1 && a[0] == '-' && a != "-") {
        if (a == "-h") {
          args.flags.insert("help");
          continue;
        }
        if (a == "-n" && i + 1 < argc) {  // short form of --count
          args.values["count"] = argv[++i];
          continue;
        }
        return Status::error(ErrorKind::kInvalidArgument,
                             "unknown option " + std::string(a) + "; options are spelled --name");
      }
      args.words.emplace_back(a);
      continue;
    }
    std::string_view body = a.substr(2);
    std::optional<std::string> inline_value;
    if (auto eq = body.find('='); eq != std::string_view::npos) {
      inline_value = std::string(body.substr(eq + 1));
      body = body.substr(0, eq);
    }
    const OptionSpec* spec = find(body);
    if (spec == nullptr) {
      return Status::error(ErrorKind::kInvalidArgument,
                           "unknown option --" + std::string(body) + "; see `reportd --help`");
    }
    if (!spec->takes_value) {
      if (inline_value) {
        return Status::error(ErrorKind::kInvalidArgument,
                             "option --" + std::string(body) + " takes no value");
      }
      args.flags.emplace(body);
      continue;
    }
    std::string value;
    if (inline_value) {
      value = *inline_value;
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return Status::error(ErrorKind::kInvalidArgument,
                           "option --" + std::string(body) + " needs a value");
    }
    if (args.values.count(body) != 0) {
      return Status::error(ErrorKind::kInvalidArgument,
                           "option --" + std::string(body) + " is given twice");
    }
    args.values.emplace(std::string(body), std::move(value));
  }
  return args;
}

Status check_allowed(const Args& args, std::string_view command,
                     const std::vector<std::string_view>& allowed, std::size_t command_words,
                     std::size_t operands) {
  auto ok = [&](std::string_view name) {
    if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) return true;
    for (const OptionSpec& g : global_options()) {
      if (g.name == name) return true;
    }
    return false;
  };
  for (const auto& [name, value] : args.values) {
    if (!ok(name)) {
      return Status::error(ErrorKind::kInvalidArgument,
                           "`reportd " + std::string(command) + "` does not take --" + name +
                               "; see `reportd " + std::string(command) + " --help`");
    }
  }
  for (const std::string& name : args.flags) {
    if (!ok(name)) {
      return Status::error(ErrorKind::kInvalidArgument,
                           "`reportd " + std::string(command) + "` does not take --" + name +
                               "; see `reportd " + std::string(command) + " --help`");
    }
  }
  std::size_t got = args.words.size() - command_words;
  if (got != operands) {
    std::string want = operands == 0 ? "no operands" : std::to_string(operands) + " operand(s)";
    return Status::error(ErrorKind::kInvalidArgument,
                         "`reportd " + std::string(command) + "` takes " + want + ", got " +
                             std::to_string(got) + "; see `reportd " + std::string(command) +
                             " --help`");
  }
  return {};
}

}  // namespace reportd::daemon
