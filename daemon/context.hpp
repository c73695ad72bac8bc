#pragma once
// What every CLI command gets: parsed arguments, resolved paths, and the
// means to open the store and load keys on demand. Lives in main's frame.

#include <iosfwd>
#include <memory>
#include <string>

#include "crypto/key_ring.hpp"
#include "daemon/args.hpp"
#include "daemon/config.hpp"
#include "store/store.hpp"

namespace reportd::daemon {

inline constexpr const char* kDefaultStateDir = "/var/lib/reportd";
inline constexpr const char* kDefaultConfig = "/etc/reportd/reportd.toml";

struct Context {
  Args args;
  std::ostream& out;
  std::ostream& err;

  std::string state_dir() const { return args.get_or("state-dir", kDefaultStateDir); }
  std::string db_path() const { return state_dir() + "/reportd.db"; }
  bool json() const { return args.get_or("output", "text") == "json"; }

  // Creates the state directory (mode 0700) if needed and opens the store
  // the config names ([store] url), else SQLite in the state directory.
  // Sets opened_store: the command may have changed it.
  Result<std::unique_ptr<store::Store>> open_store() const;
  Result<std::unique_ptr<store::Store>> open_store(const Config& config) const;
  // Where the store is, for people: the SQLite file or "postgresql HOST:PORT/DB".
  std::string store_location(const Config& config) const;
  // --key-file, else $CREDENTIALS_DIRECTORY/master.key.
  Result<crypto::KeyRing> load_keys() const;

  // --config FILE (must exist), else /etc/reportd/reportd.toml if present.
  Result<Config> load_config() const {
    auto given = args.get("config");
    return daemon::load_config(given ? *given : kDefaultConfig, given.has_value());
  }

  // The config, the keys and the store, in that order, for commands that run
  // reports or talk to Salesforce; the first failure says what is wrong.
  struct Opened {
    Config config;
    crypto::KeyRing keys;
    std::unique_ptr<store::Store> store;
  };
  Result<Opened> open_all() const;

  // Prints "reportd: <message>" to err and returns the exit code for it.
  int fail(const Status& st) const;

  // True once open_store() ran: run_cli then wakes a running daemon (wake.hpp).
  mutable bool opened_store = false;
};

// Reads all of standard input into secure memory, without the trailing
// newline. Used for secrets, which never travel in argv.
Result<crypto::SecureBuffer> read_secret_stdin();
// Reads a secret file into secure memory, without the trailing newline.
Result<crypto::SecureBuffer> read_secret_file(const std::string& path);
// The PostgreSQL password: [store] password_file (relative: under
// $CREDENTIALS_DIRECTORY), else $CREDENTIALS_DIRECTORY/store-password if it
// exists; empty when neither. The file must not be readable by group or others.
Result<crypto::SecureBuffer> read_store_password(const Config& config);

}  // namespace reportd::daemon
