#include "daemon/complete.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <ostream>
#include <string_view>

#include "daemon/commands.hpp"
#include "daemon/context.hpp"
#include "daemon/read_only_db.hpp"

namespace reportd::daemon {
namespace {

const OptionSpec* find_option(std::string_view name) {
  static const std::vector<OptionSpec> kAll = all_options();
  for (const OptionSpec& o : kAll) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

// The values an option's argument may take; none for free text and files.
std::vector<std::string> option_values(std::string_view option, const CompletionNames& names) {
  if (option == "connection") return names.connections;
  if (option == "schedule") return names.schedules;
  if (option == "output") return {"text", "json"};
  if (option == "format") return {"csv", "xlsx", "pdf", "html"};
  if (option == "when") return {"always", "changed"};
  if (option == "overlap") return {"skip", "queue"};
  if (option == "state") {
    return {"pending", "running",  "delivering", "succeeded",
            "failed",  "skipped",  "missed",     "cancelled"};
  }
  return {};
}

// Next command words after `typed`, and the operand names of a command
// that `typed` names exactly.
std::vector<std::string> word_candidates(const std::vector<std::string>& typed,
                                         const CompletionNames& names) {
  std::vector<std::string> out;
  for (const Command& c : commands()) {
    if (c.words.size() <= typed.size()) continue;
    if (std::equal(typed.begin(), typed.end(), c.words.begin())) {
      out.emplace_back(c.words[typed.size()]);
    }
  }
  const Command* cmd = find_command(typed);
  if (cmd != nullptr && cmd->words.size() == typed.size() && cmd->operand_count != 0) {
    const std::string_view group = cmd->words.front();
    if (group == "schedules" || group == "run") {
      out.insert(out.end(), names.schedules.begin(), names.schedules.end());
    } else if (group == "connections" || group == "sync") {
      out.insert(out.end(), names.connections.begin(), names.connections.end());
    }
  }
  return out;
}

std::vector<std::string> option_candidates(const std::vector<std::string>& typed) {
  std::vector<std::string> out;
  for (const OptionSpec& o : global_options()) out.push_back("--" + std::string(o.name));
  if (const Command* cmd = find_command(typed)) {
    for (const OptionSpec& o : cmd->options) out.push_back("--" + std::string(o.name));
  }
  return out;
}

std::vector<std::string> read_names(sqlite3* db, const char* sql) {
  std::vector<std::string> out;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) return out;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    if (const unsigned char* t = sqlite3_column_text(stmt, 0)) {
      out.emplace_back(reinterpret_cast<const char*>(t));
    }
  }
  sqlite3_finalize(stmt);
  return out;
}

}  // namespace

std::vector<std::string> completions(const std::vector<std::string>& words,
                                     const CompletionNames& names) {
  const std::string current = words.empty() ? "" : words.back();
  std::vector<std::string> typed;
  std::string pending;  // an option whose value comes next
  for (std::size_t i = 0; i + 1 < words.size(); ++i) {
    const std::string& w = words[i];
    if (!pending.empty()) {
      pending.clear();
    } else if (w == "-n") {
      pending = "count";
    } else if (w.starts_with("--")) {
      const OptionSpec* o = find_option(std::string_view(w).substr(2));
      if (o != nullptr && o->takes_value) pending = std::string(o->name);
    } else {
      typed.push_back(w);
    }
  }
  std::vector<std::string> all;
  if (!pending.empty()) {
    all = option_values(pending, names);
  } else if (current.starts_with("-")) {
    all = option_candidates(typed);
  } else {
    all = word_candidates(typed, names);
  }
  std::vector<std::string> out;
  for (std::string& c : all) {
    if (c.starts_with(current)) out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

int run_complete(const std::vector<std::string>& words, std::ostream& out) {
  std::string state_dir = kDefaultStateDir;
  for (std::size_t i = 0; i + 1 < words.size(); ++i) {
    if (words[i] == "--state-dir" && i + 2 < words.size()) state_dir = words[i + 1];
    if (words[i].starts_with("--state-dir=")) state_dir = words[i].substr(12);
  }
  CompletionNames names;
  const std::string db_path = state_dir + "/reportd.db";
  if (ReadOnlyDb db = open_read_only(db_path)) {
    names.schedules = read_names(db.get(), "SELECT name FROM schedules ORDER BY name");
    names.connections = read_names(db.get(), "SELECT name FROM connections ORDER BY name");
  }
  for (const std::string& c : completions(words, names)) out << c << "\n";
  return 0;
}

}  // namespace reportd::daemon
