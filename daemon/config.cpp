#include "daemon/config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>

#include "jobs/deliver/recipients.hpp"
#include "store/open.hpp"

namespace reportd::daemon {
namespace {

Status bad(const std::string& key, const std::string& what) {
  return Status::error(ErrorKind::kInvalidArgument, key + ": " + what);
}

// Fails on keys the table does not know, so a typo is never silently ignored.
Status only_keys(const toml::table& t, const std::string& prefix,
                 const std::set<std::string, std::less<>>& known) {
  for (const auto& [k, v] : t) {
    if (known.count(k.str()) == 0) {
      std::string list;
      for (const auto& n : known) list += (list.empty() ? "" : ", ") + n;
      return bad(prefix + std::string(k.str()), "unknown key; known keys here: " + list);
    }
  }
  return {};
}

Status get_string(const toml::table& t, const std::string& prefix, const char* key,
                  std::string& out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return {};
  auto v = n->value<std::string>();
  if (!v) return bad(prefix + key, "must be a string");
  out = *v;
  return {};
}

Status get_int(const toml::table& t, const std::string& prefix, const char* key,
               std::int64_t lo, std::int64_t hi, std::int64_t& out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return {};
  auto v = n->value<std::int64_t>();
  if (!v || n->type() != toml::node_type::integer) return bad(prefix + key, "must be an integer");
  if (*v < lo || *v > hi) {
    return bad(prefix + key, "must be " + std::to_string(lo) + ".." + std::to_string(hi) +
                                 ", not " + std::to_string(*v));
  }
  out = *v;
  return {};
}

Status get_duration(const toml::table& t, const std::string& prefix, const char* key,
                    std::int64_t lo, std::int64_t& out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return {};
  Result<std::int64_t> d = Status::error(ErrorKind::kInvalidArgument, "");
  if (auto i = n->value<std::int64_t>(); i && n->type() == toml::node_type::integer) {
    d = *i;
  } else if (auto s = n->value<std::string>()) {
    d = parse_duration(*s);
  }
  if (!d.ok()) return bad(prefix + key, "must be a duration such as \"90s\", \"15m\" or \"6h\"");
  if (*d < lo) return bad(prefix + key, "must be at least " + std::to_string(lo) + " seconds");
  out = *d;
  return {};
}

Status smtp_bad(std::string_view key, std::string_view why) {
  return Status::error(ErrorKind::kInvalidArgument,
                       "smtp." + std::string(key) + ": " + std::string(why), "config");
}

// The [smtp] table. Keys: host, port, tls, username, password_file, from,
// from_name, ca_file, helo_name, timeout_seconds, max_message_bytes; the
// port defaults by tls mode; deliver::validate() has the last word.
Result<deliver::SmtpConfig> smtp_from_table(const toml::table& t) {
  deliver::SmtpConfig c;
  for (const auto& [key, node] : t) {
    std::string_view k = key.str();
    auto str = [&](std::string& out) -> Status {
      auto v = node.value<std::string>();
      if (!v) return smtp_bad(k, "must be a string");
      out = *v;
      return {};
    };
    auto num = [&](std::int64_t lo, std::int64_t hi) -> Result<std::int64_t> {
      auto v = node.value<std::int64_t>();
      if (!v || *v < lo || *v > hi) {
        return smtp_bad(k, "must be an integer from " + std::to_string(lo) + " to " +
                               std::to_string(hi));
      }
      return *v;
    };
    Status st;
    if (k == "host") st = str(c.host);
    else if (k == "tls") {
      std::string text;
      st = str(text);
      if (st.ok()) {
        auto tls = deliver::smtp_tls_from(text);
        if (!tls.ok()) return tls.status();
        c.tls = *tls;
      }
    }
    else if (k == "username") st = str(c.username);
    else if (k == "password_file") st = str(c.password_file);
    else if (k == "from") st = str(c.from);
    else if (k == "from_name") st = str(c.from_name);
    else if (k == "ca_file") st = str(c.ca_file);
    else if (k == "helo_name") st = str(c.helo_name);
    else if (k == "port") {
      auto v = num(1, 65535);
      if (!v.ok()) return v.status();
      c.port = static_cast<std::uint16_t>(*v);
    } else if (k == "timeout_seconds") {
      auto v = num(1, 3600);
      if (!v.ok()) return v.status();
      c.step_timeout = std::chrono::seconds(*v);
    } else if (k == "max_message_bytes") {
      auto v = num(1024, std::int64_t{1} << 40);
      if (!v.ok()) return v.status();
      c.max_message_bytes = static_cast<std::uint64_t>(*v);
    } else {
      return smtp_bad(k, "unknown key (expected host, port, tls, username, password_file, from, "
                         "from_name, ca_file, helo_name, timeout_seconds, max_message_bytes)");
    }
    if (!st.ok()) return st;
  }
  if (!t.contains("port")) {
    c.port = c.tls == deliver::SmtpTls::kImplicit ? 465 : (c.tls == deliver::SmtpTls::kNone ? 25 : 587);
  }
  if (Status st = deliver::validate(c); !st.ok()) return st;
  return c;
}

// A TOML list of domain names, each checked by deliver::check_domain().
Status get_domains(const toml::table& t, const std::string& prefix, const char* key,
                   std::vector<std::string>& out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return {};
  const toml::array* arr = n->as_array();
  if (arr == nullptr) return bad(prefix + key, "must be a list of strings such as [\"example.com\"]");
  std::string text;
  for (const auto& e : *arr) {
    auto s = e.value<std::string>();
    if (!s || s->empty()) {
      return bad(prefix + key, "must be a list of domain names such as [\"example.com\"]");
    }
    text += *s + ",";
  }
  auto domains = deliver::split_domains(text);
  if (!domains.ok()) return bad(prefix + key, domains.status().message());
  out = std::move(domains).value();
  return {};
}

#define TRY(expr)                   \
  do {                              \
    if (Status st_ = (expr); !st_.ok()) return st_; \
  } while (0)

// The [limits] table.
Status limits_from_table(const toml::table& l, Config& c) {
  TRY(only_keys(l, "limits.", {"max_concurrent_runs", "max_runs_per_org", "run_deadline",
                                "api_budget_percent", "scratch_max_bytes",
                                "scratch_budget_bytes", "max_rows_per_run",
                                "failures_before_pause"}));
  TRY(get_int(l, "limits.", "max_concurrent_runs", 1, 1000, c.max_concurrent_runs));
  TRY(get_int(l, "limits.", "max_runs_per_org", 1, 1000, c.max_runs_per_org));
  TRY(get_duration(l, "limits.", "run_deadline", 10, c.run_deadline_s));
  TRY(get_int(l, "limits.", "api_budget_percent", 1, 100, c.api_budget_percent));
  TRY(get_int(l, "limits.", "scratch_max_bytes", 1 << 20, 64ll << 30, c.scratch_max_bytes));
  TRY(get_int(l, "limits.", "scratch_budget_bytes", 1 << 20, 256ll << 30,
              c.scratch_budget_bytes));
  if (!l.contains("scratch_budget_bytes")) {
    c.scratch_budget_bytes = std::max(c.scratch_budget_bytes, c.scratch_max_bytes);
  } else if (c.scratch_budget_bytes < c.scratch_max_bytes) {
    return bad("limits.scratch_budget_bytes",
               "must be at least limits.scratch_max_bytes (" +
                   std::to_string(c.scratch_max_bytes) + "), not " +
                   std::to_string(c.scratch_budget_bytes));
  }
  TRY(get_int(l, "limits.", "max_rows_per_run", 1, 1'000'000'000, c.max_rows_per_run));
  TRY(get_int(l, "limits.", "failures_before_pause", 0, 1000, c.failures_before_pause));
  return {};
}

// One [connections.NAME] table.
Status connection_from_table(const toml::table& t, const std::string& name, Config& c) {
  const std::string prefix = "connections." + name + ".";
  TRY(only_keys(t, prefix, {"allowed_domains", "allow_integration"}));
  std::vector<std::string> domains;
  TRY(get_domains(t, prefix, "allowed_domains", domains));
  // A table that only allows integration runs leaves the domains alone.
  if (t.contains("allowed_domains") || !t.contains("allow_integration")) {
    c.allowed_domains[name] = std::move(domains);
  }
  if (const toml::node* a = t.get("allow_integration")) {
    auto flag = a->value<bool>();
    if (!flag) return bad(prefix + "allow_integration", "must be true or false");
    if (*flag) c.integration_allowed.insert(name);
  }
  return {};
}

Result<Config> from_table(const toml::table& root, const std::string& path) {
  Config c;
  c.path = path;
  TRY(only_keys(root, "", {"smtp", "salesforce", "http", "limits", "defaults", "notices",
                           "connections", "sync", "store"}));
  if (const toml::table* st = root["store"].as_table()) {
    TRY(only_keys(*st, "store.",
                  {"url", "password_file", "lease_seconds", "check_seconds", "claim_grace_seconds"}));
    TRY(get_int(*st, "store.", "check_seconds", 1, 3600, c.store_check_seconds));
    TRY(get_int(*st, "store.", "claim_grace_seconds", 0, 60, c.store_claim_grace_seconds));
    TRY(get_string(*st, "store.", "url", c.store_url));
    TRY(get_int(*st, "store.", "lease_seconds", 3, 3600, c.store_lease_seconds));
    TRY(get_string(*st, "store.", "password_file", c.store_password_file));
    if (!c.store_url.empty()) {
      if (Status u = store::check_url(c.store_url); !u.ok()) return bad("store.url", u.message());
    } else if (!c.store_password_file.empty()) {
      return bad("store.password_file", "is used only with store.url (PostgreSQL); SQLite needs none");
    }
  } else if (root.contains("store")) {
    return bad("store", "must be a table: [store] with url = \"postgresql://...\"");
  }
  if (const toml::table* sy = root["sync"].as_table()) {
    TRY(only_keys(*sy, "sync.", {"interval_minutes", "max_schedules_per_connection"}));
    TRY(get_int(*sy, "sync.", "interval_minutes", 1, 1440, c.sync_interval_minutes));
    TRY(get_int(*sy, "sync.", "max_schedules_per_connection", 1, 1'000'000,
                c.sync_max_schedules_per_connection));
  } else if (root.contains("sync")) {
    return bad("sync", "must be a table: [sync] with interval_minutes = 5");
  }
  if (const toml::table* smtp = root["smtp"].as_table()) {
    auto s = smtp_from_table(*smtp);
    if (!s.ok()) return s.status();
    c.smtp = std::move(s).value();
  }
  if (const toml::table* sf = root["salesforce"].as_table()) {
    TRY(only_keys(*sf, "salesforce.", {"ca_file", "api_version", "request_timeout"}));
    TRY(get_string(*sf, "salesforce.", "ca_file", c.salesforce_ca_file));
    TRY(get_string(*sf, "salesforce.", "api_version", c.api_version));
    TRY(get_duration(*sf, "salesforce.", "request_timeout", 1, c.request_timeout_s));
    if (!c.salesforce_ca_file.empty() && !std::filesystem::exists(c.salesforce_ca_file)) {
      return bad("salesforce.ca_file", "file " + c.salesforce_ca_file + " does not exist");
    }
  }
  if (const toml::table* http = root["http"].as_table()) {
    TRY(only_keys(*http, "http.", {"listen"}));
    TRY(get_string(*http, "http.", "listen", c.http_listen));
    auto colon = c.http_listen.rfind(':');
    if (colon == std::string::npos || colon + 1 == c.http_listen.size()) {
      return bad("http.listen", "must be HOST:PORT such as \"127.0.0.1:9464\"");
    }
  }
  if (const toml::table* l = root["limits"].as_table()) TRY(limits_from_table(*l, c));
  if (const toml::table* d = root["defaults"].as_table()) {
    TRY(only_keys(*d, "defaults.", {"time_zone", "catchup", "min_interval", "allowed_domains"}));
    TRY(get_domains(*d, "defaults.", "allowed_domains", c.default_allowed_domains));
    TRY(get_string(*d, "defaults.", "time_zone", c.default_tz));
    TRY(get_duration(*d, "defaults.", "catchup", 0, c.catchup_s));
    TRY(get_duration(*d, "defaults.", "min_interval", 1, c.min_interval_s));
  }
  if (const toml::table* n = root["notices"].as_table()) {
    TRY(only_keys(*n, "notices.", {"operator"}));
    TRY(get_string(*n, "notices.", "operator", c.operator_email));
    if (!c.operator_email.empty()) {
      auto a = deliver::parse_address(c.operator_email);
      if (!a.ok()) return bad("notices.operator", a.status().message());
      c.operator_email = std::move(a).value();
    }
  }
  if (const toml::table* conns = root["connections"].as_table()) {
    for (const auto& [name, node] : *conns) {
      std::string prefix = "connections." + std::string(name.str()) + ".";
      const toml::table* t = node.as_table();
      if (t == nullptr) return bad(prefix.substr(0, prefix.size() - 1), "must be a table");
      TRY(connection_from_table(*t, std::string(name.str()), c));
    }
  }
  return c;
}

#undef TRY

}  // namespace

Result<std::int64_t> parse_duration(std::string_view text) {
  if (text.empty()) return Status::error(ErrorKind::kInvalidArgument, "empty duration");
  std::int64_t value = 0;
  std::size_t i = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    if (value > 1'000'000'000) return Status::error(ErrorKind::kInvalidArgument, "too large");
    value = value * 10 + (text[i] - '0');
  }
  if (i == 0) return Status::error(ErrorKind::kInvalidArgument, "not a duration");
  std::string_view unit = text.substr(i);
  if (unit.empty() || unit == "s") return value;
  if (unit == "m" || unit == "min") return value * 60;
  if (unit == "h") return value * 3600;
  if (unit == "d") return value * 86400;
  return Status::error(ErrorKind::kInvalidArgument, "unknown unit");
}

Result<Config> parse_config(std::string_view text, const std::string& path) {
  toml::table parsed;
  try {
    // This toml++ build reports syntax errors by throwing.
    parsed = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    return Status::error(ErrorKind::kInvalidArgument,
                         path + ":" + std::to_string(e.source().begin.line) + ":" +
                             std::to_string(e.source().begin.column) + ": " +
                             std::string(e.description()));
  }
  auto c = from_table(parsed, path);
  if (!c.ok()) return std::move(c).status().with_context(path);
  return c;
}

Result<Config> load_config(const std::string& path, bool required) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (!required) return Config{};
    return Status::error(ErrorKind::kNotFound,
                         "config file " + path +
                             " does not exist; start from the example (Debian package: "
                             "/usr/share/doc/reportd/reportd.toml.example; source: "
                             "doc/reportd.toml.example), edit it, then run `reportd --config " +
                             path + " config check`");
  }
  std::string text;
  {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
      return Status::error(ErrorKind::kIo, "cannot read config file " + path);
    }
    char buf[8192];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
    std::fclose(f);
  }
  return parse_config(text, path);
}

}  // namespace reportd::daemon
