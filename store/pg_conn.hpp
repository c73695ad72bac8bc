#pragma once
// Thin RAII wrappers over libpq: PgConn owns a connection, PgResult a result,
// PgParams the parameters of one statement, PgTransaction a BEGIN (or, inside
// another transaction, a SAVEPOINT) that rolls back unless committed.
//
// Statements are always parameterised (PQexecParams); their text uses '?'
// placeholders numbered in order, as SQLite's do, so the text must hold no
// other '?'. Errors carry the statement's purpose, the server's primary
// message and its SQLSTATE, never a parameter's value: the server's DETAIL
// (which quotes key values) is not read, and messages of data errors (class
// 22, which quote the refused input) are replaced by a generic one. Rows are
// read in text format; booleans read as 0 or 1 and bytea as bytes, so the
// row readers of store/rows.hpp serve both engines. One thread at a time.

#include <libpq-fe.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "table/status.hpp"

namespace reportd::store {

class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* r) : r_(r) {}
  ~PgResult();
  PgResult(PgResult&& other) noexcept;
  PgResult& operator=(PgResult&& other) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;

  int rows() const;
  std::int64_t affected() const;  // rows an INSERT/UPDATE/DELETE changed
  bool is_null(int row, int col) const;
  std::int64_t int64(int row, int col) const;  // "t"/"f" read as 1/0
  std::string text(int row, int col) const;
  std::vector<std::uint8_t> blob(int row, int col) const;  // bytea
  const PGresult* raw() const { return r_; }

 private:
  PGresult* r_ = nullptr;
};

// One row of a PgResult with the column accessors of sqlite's Stmt.
class PgRow {
 public:
  PgRow(const PgResult& r, int row) : r_(r), row_(row) {}
  std::int64_t int64(int col) const { return r_.int64(row_, col); }
  std::string text(int col) const { return r_.text(row_, col); }
  std::vector<std::uint8_t> blob(int col) const { return r_.blob(row_, col); }
  bool is_null(int col) const { return r_.is_null(row_, col); }

 private:
  const PgResult& r_;
  int row_;
};

// Parameters by 1-based index, with sqlite's Stmt::bind signatures. Bytes
// travel in binary format (bytea); everything else as text.
class PgParams {
 public:
  PgParams& bind(int i, std::int64_t v);
  PgParams& bind(int i, std::string_view v);
  PgParams& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  PgParams& bind(int i, std::span<const std::uint8_t> v);
  PgParams& bind_null(int i);

  int size() const { return static_cast<int>(values_.size()); }
  std::vector<const char*> values() const;
  std::vector<int> lengths() const;
  const std::vector<int>& formats() const { return formats_; }

 private:
  void put(int i, std::string v, int format, bool null);
  std::vector<std::string> values_;
  std::vector<int> formats_;
  std::vector<bool> null_;
};

class PgConn {
 public:
  PgConn() = default;
  ~PgConn();
  PgConn(PgConn&& other) noexcept;
  PgConn& operator=(PgConn&& other) noexcept;
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  // Connects to `url` (a postgresql:// URL, checked by store::parse_url
  // first) with `password` when not empty. libpq copies the password and
  // zeroes its copy when the connection is freed.
  static Result<PgConn> connect(const std::string& url, std::string_view password);

  // One parameterised statement. A connection found broken is reset before
  // the statement (never retried after it: its outcome is unknown).
  Result<PgResult> exec(std::string_view sql, const PgParams& params, std::string_view what);
  Result<PgResult> exec(std::string_view sql, std::string_view what) {
    return exec(sql, PgParams(), what);
  }
  // exec(), but inside a transaction a failure undoes this statement alone
  // (a savepoint around it), as a failed statement does in SQLite; without
  // it PostgreSQL refuses everything after the failure until rollback.
  Result<PgResult> exec_atomic(std::string_view sql, const PgParams& params, std::string_view what);
  // Several statements without parameters (migrations).
  Status exec_script(const char* sql, std::string_view what);

  bool in_transaction() const;
  PGconn* get() const { return conn_; }

  // Changes this session itself committed to what data_version() counts
  // (PgStore bumps the counter; PgTransaction settles the count on commit).
  void note_change() { ++(pending_.size() == 1 ? own_changes_ : pending_.back()); }
  std::int64_t own_changes() const { return own_changes_; }

 private:
  friend class PgTransaction;
  explicit PgConn(PGconn* c) : conn_(c) {}
  Status reset_if_broken(std::string_view what);
  PGconn* conn_ = nullptr;
  // One counter per open transaction level; the outermost (index 0) counts
  // autocommit statements, which commit as they run.
  std::vector<std::int64_t> pending_{0};
  std::int64_t own_changes_ = 0;
};

class PgTransaction {
 public:
  explicit PgTransaction(PgConn& conn) : conn_(conn) {}
  ~PgTransaction();
  PgTransaction(const PgTransaction&) = delete;
  PgTransaction& operator=(const PgTransaction&) = delete;
  Status begin();
  Status commit();

 private:
  void settle(bool committed);
  PgConn& conn_;
  bool open_ = false;
  bool nested_ = false;
};

// The status of a Result whose value the caller does not need.
template <class T>
Status done(const Result<T>& r) {
  return r.ok() ? Status() : r.status();
}

// "?" placeholders to "$1", "$2", ... in order.
std::string pg_placeholders(std::string_view sql);

}  // namespace reportd::store
