#include "store/open.hpp"

#include <libpq-fe.h>

#include <filesystem>
#include <map>

#include "store/pg_store.hpp"
#include "store/sqlite_store.hpp"

namespace reportd::store {
namespace {

Status bad_url(const std::string& what) {
  return Status::error(ErrorKind::kInvalidArgument, what, "config");
}

// The URL's options that are set, by keyword; empty with `error` set when
// libpq cannot parse it.
std::map<std::string, std::string> url_options(const std::string& url, std::string& error) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(url.c_str(), &err);
  std::map<std::string, std::string> out;
  if (opts == nullptr) {
    error = err ? err : "cannot be parsed";
    while (!error.empty() && error.back() == '\n') error.pop_back();
    PQfreemem(err);
    return out;
  }
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    if (o->val != nullptr && *o->val != '\0') out[o->keyword] = o->val;
  }
  PQconninfoFree(opts);
  return out;
}

// What to try when a connection fails, from libpq's message.
std::string hint(const std::string& message) {
  auto has = [&](const char* s) { return message.find(s) != std::string::npos; };
  if (has("certificate") || has("SSL")) {
    return "; set sslrootcert=FILE in [store] url to the CA that signed the server's certificate "
           "(sslmode=verify-full checks it and the host name)";
  }
  if (has("password")) {
    return "; check [store] password_file (or $CREDENTIALS_DIRECTORY/store-password) and the "
           "user in [store] url";
  }
  return "; check that the server runs and [store] url names its host, port and database";
}

}  // namespace

bool is_postgres_url(std::string_view s) {
  return s.rfind("postgresql://", 0) == 0 || s.rfind("postgres://", 0) == 0;
}

Status check_url(const std::string& url) {
  if (!is_postgres_url(url)) {
    return bad_url(
        "must start with postgresql:// (e.g. "
        "postgresql://reportd@db.example.com:5432/reportd?sslmode=verify-full"
        "&sslrootcert=/etc/reportd/pg-ca.pem); leave it out for SQLite in the state "
        "directory");
  }
  std::string error;
  auto o = url_options(url, error);
  if (!error.empty()) return bad_url("libpq cannot parse it: " + error);
  if (o.count("password") != 0) {
    return bad_url(
        "must not hold a password (it would be readable in the config); remove it "
        "and put the password in the file named by [store] password_file");
  }
  if (o.count("dbname") == 0) {
    return bad_url("names no database; add it after the host: postgresql://USER@HOST:PORT/DB");
  }
  static const char* const kModes[] = {"disable", "allow",     "prefer",
                                       "require", "verify-ca", "verify-full"};
  if (auto m = o.find("sslmode"); m != o.end()) {
    bool known = false;
    for (const char* k : kModes) known = known || m->second == k;
    if (!known) {
      return bad_url("sslmode \"" + m->second +
                     "\" is not one of disable, allow, prefer, require, verify-ca, verify-full");
    }
  }
  if (auto r = o.find("sslrootcert"); r != o.end() && !std::filesystem::exists(r->second)) {
    return bad_url("sslrootcert file " + r->second + " does not exist");
  }
  return {};
}

std::string describe_url(const std::string& url) {
  std::string error;
  auto o = url_options(url, error);
  std::string host =
      o.count("host") ? o["host"] : (o.count("hostaddr") ? o["hostaddr"] : "localhost");
  std::string port = o.count("port") ? o["port"] : "5432";
  return host + ":" + port + "/" + (o.count("dbname") ? o["dbname"] : "?");
}

Result<std::unique_ptr<Store>> open(const std::string& url_or_path, std::string_view password) {
  if (!is_postgres_url(url_or_path)) {
    auto s = SqliteStore::open(url_or_path);
    if (!s.ok()) return s.status();
    return std::unique_ptr<Store>(std::move(s).value());
  }
  if (Status st = check_url(url_or_path); !st.ok()) return std::move(st).with_context("[store] url");
  auto s = PgStore::open(url_or_path, password);
  if (!s.ok()) {
    const std::string message = s.status().message();
    return Status::error(
        s.status().kind(),
        "cannot use PostgreSQL at " + describe_url(url_or_path) + ": " + message + hint(message));
  }
  return std::unique_ptr<Store>(std::move(s).value());
}

}  // namespace reportd::store
