#pragma once
// `reportd doctor`: the checks an operator would make by hand, each a
// DoctorCheck with what it found and, when it is not ok, what to do. The
// checks that need no network are plain functions here (doctor_checks.cpp);
// cmd_doctor.cpp adds the SMTP relay and each connection, and prints them.
// Called from main's thread; nothing here prints a secret.

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/key_ring.hpp"
#include "daemon/config.hpp"
#include "store/sqlite_store.hpp"

namespace reportd::daemon {

struct DoctorCheck {
  enum class State { kOk, kWarn, kFail, kSkip };
  std::string name;    // "config", "key file", "connection acme", ...
  State state = State::kOk;
  std::string detail;  // what was found
  std::string fix;     // kWarn/kFail: what to do about it
};

std::string_view to_string(DoctorCheck::State state);

// The config file parses and validates; `path` is where it was looked for.
DoctorCheck check_config(const Result<Config>& config, const std::string& path);
// The master key loaded (mode, owner, syntax: crypto::load_keys' checks).
DoctorCheck check_key_file(const Result<crypto::KeyRing>& keys);
// The database at `db_path` exists, passes quick_check and is at this
// build's schema. Opened read-only: the doctor never creates nor migrates it.
// `current` is set when the store may be opened for the checks after it.
DoctorCheck check_store(const std::string& db_path, bool& current);
// The kernel's clock discipline (adjtimex): STA_UNSYNC clear.
DoctorCheck check_clock();
// Whether a `reportd serve` is running on this state directory (its
// heartbeat is fresh and its pid alive), from the store's daemon row.
bool daemon_running(store::SqliteStore& store);
// GET /healthz on `listen` (the config's [http] listen) when the daemon
// runs; skipped when it does not.
DoctorCheck check_http(const std::string& listen, bool running);

// The [smtp] relay answers, TLS verifies and AUTH passes; sends no message
// (cmd_check.cpp).
DoctorCheck check_smtp(const Config& config);
// Per connection: its token refreshes, its org is the pinned one, a tiny
// query answers. A refused grant is reported, not marked (the next run or
// sync marks it and notifies); a token of another org is refused and the
// connection marked org-mismatch by OrgClients, as anywhere else.
std::vector<DoctorCheck> check_connections(const Config& config, const crypto::KeyRing& keys,
                                           store::SqliteStore& store);

// One line per check, a "fix:" line under each that is not ok.
void print_checks(const std::vector<DoctorCheck>& checks, std::ostream& out);
// {"ok": bool, "checks": [{"check", "status", "detail", "fix"}]}
void print_checks_json(const std::vector<DoctorCheck>& checks, std::ostream& out);

}  // namespace reportd::daemon
