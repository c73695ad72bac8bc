#pragma once
// Opening the store read-only for a look that must change nothing: the
// doctor's store check and shell completion. A user other than the file's
// owner (root looking at the reportd user's database) opens it immutable,
// reading the main file only: a plain read-only open of a WAL database may
// create -wal and -shm files that the daemon's user then cannot open.
// Recent changes still in the daemon's WAL are then not seen.

#include <sqlite3.h>

#include <memory>
#include <string>

namespace reportd::daemon {

using ReadOnlyDb = std::unique_ptr<sqlite3, int (*)(sqlite3*)>;

// Null when the file is missing or does not open; `immutable` says how it was opened.
ReadOnlyDb open_read_only(const std::string& path, bool* immutable = nullptr);

}  // namespace reportd::daemon
