#include "store/copy.hpp"

#include "store/rows.hpp"

namespace reportd::store {
namespace {

struct Table {
  const char* name;
  std::string columns;  // as both schemas name them
  bool has_id;          // an identity column "id" to continue
};

// "SELECT a, b FROM t " -> "a, b".
std::string columns_of(const char* select) {
  std::string s = select;
  const std::size_t from = s.find(" FROM ");
  return s.substr(7, from - 7);
}

// Parents before children, for the foreign keys.
std::vector<Table> tables() {
  return {
      {"connections", columns_of(kConnectionColumns), true},
      {"schedules", columns_of(kScheduleColumns), true},
      {"runs", columns_of(kRunColumns), true},
      {"deliveries", columns_of(kDeliveryColumns), true},
      {"change_hashes", "schedule_id, hash, updated_at_ms", false},
      {"sync_state", "connection_id, modstamp, synced_at_ms, error", false},
      {"pending_authorizations", columns_of(kPendingColumns), false},
      {"daemon_state", "id, pid, started_at_ms, heartbeat_at_ms, version, status", false},
  };
}

std::vector<std::string> names_of(const std::string& columns) {
  std::vector<std::string> out;
  for (std::string& n : split(columns, ',')) {
    while (!n.empty() && n.front() == ' ') n.erase(0, 1);
    out.push_back(std::move(n));
  }
  return out;
}

bool is_bytes(const std::string& column) {
  return column == "client_secret" || column == "refresh_token" || column == "sealed_secrets" ||
         column == "jwt_key" ||
         column == "hash";
}

Result<std::int64_t> pg_count(PgConn& pg, const char* table) {
  auto r = pg.exec(std::string("SELECT count(*) FROM ") + table, "count " + std::string(table));
  if (!r.ok()) return r.status();
  return r->int64(0, 0);
}

// Column `i` of the current row: sealed secrets as bytes, everything else
// as its text, which PostgreSQL reads into the column's type (SQLite's 0/1
// flags into booleans).
void bind_column(const Stmt& q, int i, bool bytes, PgParams& p) {
  if (q.is_null(i)) {
    p.bind_null(i + 1);
  } else if (bytes) {
    p.bind(i + 1, std::span<const std::uint8_t>(q.blob(i)));
  } else {
    p.bind(i + 1, std::string_view(q.text(i)));
  }
}

Result<std::int64_t> copy_rows(Db& from, PgConn& to, const Table& t) {
  const std::string what = "copy " + std::string(t.name);
  Stmt q(from, ("SELECT " + t.columns + " FROM " + t.name).c_str());
  const std::vector<std::string> names = names_of(t.columns);
  const int n = static_cast<int>(names.size());
  std::string marks;
  for (int i = 0; i < n; ++i) marks += i == 0 ? "?" : ", ?";
  const std::string insert =
      std::string("INSERT INTO ") + t.name + " (" + t.columns + ") VALUES (" + marks + ")";
  std::int64_t rows = 0;
  while (q.step()) {
    PgParams p;
    for (int i = 0; i < n; ++i) bind_column(q, i, is_bytes(names[static_cast<std::size_t>(i)]), p);
    if (auto r = to.exec(insert, p, what); !r.ok()) return r.status();
    ++rows;
  }
  if (Status st = q.status(what); !st.ok()) return st;
  return rows;
}

// The identity goes on after the highest id SQLite ever handed out, removed
// rows' ids included (sqlite_sequence), so no id is ever used twice.
Status continue_ids(Db& from, PgConn& to, const Table& t) {
  Stmt q(from, "SELECT max(seq) FROM sqlite_sequence WHERE name = ?");
  q.bind(1, std::string_view(t.name));
  std::int64_t seq = q.step() && !q.is_null(0) ? q.int64(0) : 0;
  PgParams p;
  p.bind(1, seq);
  const std::string name = t.name;
  auto r = to.exec("SELECT setval(pg_get_serial_sequence('" + name +
                       "', 'id'), "
                       "greatest(?, (SELECT coalesce(max(id), 0) FROM " +
                       name + "), 1))",
                   p, "continue ids of " + name);
  return done(r);
}

}  // namespace

Result<std::vector<CopiedTable>> copy_to_postgres(SqliteStore& from, PgStore& to) {
  PgConn& pg = to.conn();
  for (const Table& t : tables()) {
    auto n = pg_count(pg, t.name);
    if (!n.ok()) return n.status();
    if (*n != 0) {
      return Status::error(ErrorKind::kAlreadyExists,
                           "the target database already holds " + std::to_string(*n) + " rows in " +
                               t.name + "; store migrate copies only into an empty database");
    }
  }
  std::vector<CopiedTable> out;
  PgTransaction tx(pg);
  if (Status st = tx.begin(); !st.ok()) return st;
  for (const Table& t : tables()) {
    auto rows = copy_rows(from.db(), pg, t);
    if (!rows.ok()) return rows.status();
    if (t.has_id) {
      if (Status st = continue_ids(from.db(), pg, t); !st.ok()) return st;
    }
    auto copied = pg_count(pg, t.name);
    if (!copied.ok()) return copied.status();
    if (*copied != *rows) {
      return Status::error(ErrorKind::kCorrupt, std::string(t.name) + ": read " +
                                                    std::to_string(*rows) + " rows but " +
                                                    std::to_string(*copied) + " arrived");
    }
    out.push_back({t.name, *rows});
  }
  if (Status st = tx.commit(); !st.ok()) return st;
  return out;
}

}  // namespace reportd::store
