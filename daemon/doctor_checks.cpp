// The doctor's local checks: config, key, store, clock, HTTP endpoint, and
// how their results print.
#include <httplib.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/timex.h>

#include <boost/json.hpp>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <ostream>

#include "daemon/doctor.hpp"
#include "daemon/http_endpoint.hpp"
#include "daemon/read_only_db.hpp"
#include "daemon/serve.hpp"
#include "daemon/time_text.hpp"
#include "store/migrations.hpp"

namespace reportd::daemon {
namespace {

using State = DoctorCheck::State;

constexpr const char* kCredFile = "/etc/reportd/master.key.cred";

DoctorCheck failed(std::string name, std::string detail, std::string fix) {
  return {std::move(name), State::kFail, std::move(detail), std::move(fix)};
}

bool file_exists(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0;
}

// One row of one column from a read-only connection, or the error.
Result<std::string> query_one(sqlite3* db, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
    return Status::error(ErrorKind::kIo, sqlite3_errmsg(db));
  }
  std::string out;
  const int rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(stmt, 0);
    out = text != nullptr ? reinterpret_cast<const char*>(text) : "";
  }
  Status st = rc == SQLITE_ROW || rc == SQLITE_DONE ? Status()
                                                     : Status::error(ErrorKind::kIo, sqlite3_errmsg(db));
  sqlite3_finalize(stmt);
  if (!st.ok()) return st;
  return out;
}

}  // namespace

std::string_view to_string(State state) {
  switch (state) {
    case State::kOk: return "ok";
    case State::kWarn: return "warn";
    case State::kFail: return "FAIL";
    case State::kSkip: return "skip";
  }
  return "?";
}

DoctorCheck check_config(const Result<Config>& config, const std::string& path) {
  if (!config.ok()) {
    return failed("config", config.status().message(),
                  "correct what the message names in " + path +
                      " (doc/reportd.toml.example in /usr/share/doc/reportd/ lists every key), "
                      "then `reportd config check`");
  }
  if (config->path.empty()) {
    return {"config", State::kWarn, "no file at " + path + "; the built-in defaults (no [smtp]: no mail)",
            "copy /usr/share/doc/reportd/reportd.toml.example to " + path + " and edit it"};
  }
  return {"config", State::kOk, config->path + " parses", ""};
}

DoctorCheck check_key_file(const Result<crypto::KeyRing>& keys) {
  if (keys.ok()) {
    return {"key file", State::kOk,
            std::to_string(keys->keys().size()) + " key(s), primary " + keys->primary().id +
                "; mode and owner ok",
            ""};
  }
  std::string fix;
  if (keys.status().kind() != ErrorKind::kNotFound) {
    fix = "as the message says (the file must be mode 0600 and owned by the user running reportd)";
  } else if (file_exists(kCredFile)) {
    fix = std::string("the service reads ") + kCredFile +
          " through systemd; check it as the service sees it: systemd-run --pipe --wait "
          "-p User=reportd -p StateDirectory=reportd -p LoadCredentialEncrypted=master.key:" +
          kCredFile + " /usr/bin/reportd doctor";
  } else {
    fix = std::string("reportd keys generate --out /run/reportd-master.key, then "
                      "systemd-creds encrypt --name=master.key /run/reportd-master.key ") +
          kCredFile + "; keep the plain file offline and shred it here (README.Debian)";
  }
  return failed("key file", keys.status().message(), fix);
}

DoctorCheck check_store(const std::string& db_path, bool& current) {
  current = false;
  if (!file_exists(db_path)) {
    return {"store", State::kWarn, "no database at " + db_path + " yet",
            "`reportd serve` creates it when it first starts (or pass --state-dir DIR)"};
  }
  bool other_user = false;
  ReadOnlyDb hold = open_read_only(db_path, &other_user);
  sqlite3* db = hold.get();
  const std::string fix_access = "run the doctor as the daemon's user (README.Debian's alias)";
  if (db == nullptr) return failed("store", db_path + ": cannot open it read-only", fix_access);
  auto check = query_one(db, "PRAGMA quick_check");
  if (!check.ok()) return failed("store", db_path + ": " + check.status().message(), fix_access);
  if (*check != "ok") {
    return failed("store", db_path + ": quick_check says " + *check,
                  "stop the daemon, restore the database from a backup (sqlite3 DB .recover)");
  }
  auto version = query_one(db, "PRAGMA user_version");
  if (!version.ok()) return failed("store", version.status().message(), fix_access);
  const int have = std::atoi(version->c_str());
  const int want = store::schema_version();
  const std::string at = db_path + " at schema " + std::to_string(have);
  if (have > want) {
    return failed("store", at + ", newer than this reportd (" + std::to_string(want) + ")",
                  "install the reportd that wrote it");
  }
  if (have < want) {
    return {"store", State::kWarn, at + "; this reportd writes " + std::to_string(want),
            "`reportd serve` upgrades it when it starts; back it up first "
            "(sqlite3 " + db_path + " '.backup reportd.db.bak')"};
  }
  if (other_user) {
    // Opening it for the connection checks could leave files the daemon cannot open.
    return {"store", State::kWarn, at + " (current), quick_check ok; it belongs to another user",
            "run the doctor as the daemon's user to check the connections too "
            "(README.Debian's alias)"};
  }
  current = true;
  return {"store", State::kOk, at + " (current), quick_check ok", ""};
}

DoctorCheck check_clock() {
  struct timex tx{};
  const int state = ::adjtimex(&tx);
  if (state == -1) {
    return {"clock", State::kSkip, std::string("adjtimex: ") + std::strerror(errno), ""};
  }
  if (state == TIME_ERROR || (tx.status & STA_UNSYNC) != 0) {
    return failed("clock", "the system clock is not synchronised (adjtimex: STA_UNSYNC)",
                  "turn on NTP: timedatectl set-ntp true (systemd-timesyncd or chrony), "
                  "then check `timedatectl status` says \"System clock synchronized: yes\"");
  }
  return {"clock", State::kOk,
          "synchronised (estimated error " + std::to_string(tx.esterror) + " us)", ""};
}

bool daemon_running(store::SqliteStore& store) {
  auto d = store.get_daemon_state();
  if (!d.ok() || !d->has_value()) return false;
  const store::DaemonState& s = d->value();
  const bool fresh = now_ms() - s.heartbeat_at_ms < 3 * kHeartbeatMs;
  const bool alive = s.pid > 0 && (::kill(static_cast<pid_t>(s.pid), 0) == 0 || errno == EPERM);
  return fresh && alive && (s.status == "running" || s.status == "starting");
}

DoctorCheck check_http(const std::string& listen, bool running) {
  if (!running) {
    return {"http endpoint", State::kSkip, "the daemon is not running on this state directory",
            "systemctl start reportd"};
  }
  auto address = parse_listen(listen);
  if (!address.ok()) return failed("http endpoint", address.status().message(), "fix [http] listen");
  std::string host = address->host;
  if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
  if (host == "::") host = "::1";
  httplib::Client client(host, address->port);
  client.set_connection_timeout(5);
  client.set_read_timeout(10);
  auto res = client.Get("/healthz");
  const std::string where = listen + " (GET /healthz)";
  if (!res) {
    return failed("http endpoint", "nothing answers on " + where + ": " + httplib::to_string(res.error()),
                  "see `journalctl -u reportd` for event=http.listen_failed: free the address or "
                  "change [http] listen, then systemctl reload reportd");
  }
  if (res->status != 200) {
    return failed("http endpoint", where + " answered " + std::to_string(res->status),
                  "the daemon reports itself unhealthy: see `journalctl -u reportd`");
  }
  return {"http endpoint", State::kOk, where + " answered 200", ""};
}

void print_checks(const std::vector<DoctorCheck>& checks, std::ostream& out) {
  for (const DoctorCheck& c : checks) {
    std::string state(to_string(c.state));
    out << state << std::string(6 - state.size(), ' ') << c.name << ": " << c.detail << "\n";
    if (c.state == State::kFail || c.state == State::kWarn) out << "      fix: " << c.fix << "\n";
  }
}

void print_checks_json(const std::vector<DoctorCheck>& checks, std::ostream& out) {
  boost::json::array list;
  bool ok = true;
  for (const DoctorCheck& c : checks) {
    ok = ok && c.state != State::kFail;
    std::string state(to_string(c.state));
    for (char& ch : state) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    boost::json::object o{{"check", c.name}, {"status", state}, {"detail", c.detail}};
    if (!c.fix.empty()) o["fix"] = c.fix;
    list.push_back(std::move(o));
  }
  out << boost::json::serialize(boost::json::object{{"ok", ok}, {"checks", std::move(list)}}) << "\n";
}

}  // namespace reportd::daemon
