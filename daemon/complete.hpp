#pragma once
// Shell completion: `reportd __complete WORD... CURRENT` prints the words
// that may replace CURRENT, one per line, for doc/reportd.bash. Commands and
// options come from the command table; schedule and connection names from
// the store, opened read-only (never created, migrated or woken), so a user
// who cannot read it just gets no names. Hidden: not in `reportd --help`.

#include <iosfwd>
#include <string>
#include <vector>

namespace reportd::daemon {

// What completion may name; read from the store by run_complete().
struct CompletionNames {
  std::vector<std::string> schedules;
  std::vector<std::string> connections;
};

// The candidates for the last of `words` (what the user typed after
// `reportd`, the last one possibly empty), filtered by it as a prefix.
// Pure; options that take a file name get none (the shell completes files).
std::vector<std::string> completions(const std::vector<std::string>& words,
                                     const CompletionNames& names);

// argv after "__complete": reads the names from --state-dir's database (or
// the default one) and prints completions(). Always returns 0.
int run_complete(const std::vector<std::string>& words, std::ostream& out);

}  // namespace reportd::daemon
