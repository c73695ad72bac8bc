#pragma once
// Thin RAII wrappers over sqlite3: Db owns a connection, Stmt a prepared
// statement, Transaction a BEGIN IMMEDIATE that rolls back unless committed.
// Errors carry SQLite's message plus the statement's purpose. One thread at a
// time.

#include <sqlite3.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "table/status.hpp"

namespace reportd::store {

class Db {
 public:
  Db() = default;
  ~Db();
  Db(Db&& other) noexcept;
  Db& operator=(Db&& other) noexcept;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  static Result<Db> open(const std::string& path);

  sqlite3* get() const { return db_; }
  Status exec(const char* sql, std::string_view what);
  Status error(std::string_view what) const;  // kIo with sqlite3_errmsg

 private:
  friend class Stmt;
  explicit Db(sqlite3* db) : db_(db) {}
  // Prepared statements kept for reuse, one per SQL text (at most
  // kMaxCached): preparing took about a fifth of the daemon's CPU per run.
  static constexpr std::size_t kMaxCached = 128;
  sqlite3_stmt* take_prepared(const std::string& sql);
  void keep_prepared(std::string sql, sqlite3_stmt* stmt);  // reset, bindings cleared
  void drop_prepared();
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*> prepared_;
};

class Stmt {
 public:
  Stmt(Db& db, const char* sql);  // a bad statement is a bug: throws
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, std::int64_t v);
  Stmt& bind(int i, std::string_view v);
  Stmt& bind(int i, std::span<const std::uint8_t> v);
  Stmt& bind_null(int i);

  // Returns true while a row is available; on error returns false and sets
  // status().
  bool step();
  // Runs to completion; the statement's error, if any.
  Status run(std::string_view what);
  Status status(std::string_view what) const;
  bool failed() const { return failed_; }
  // Makes the statement ready to run again; bindings are kept until rebound.
  void reset();

  std::int64_t int64(int col) const;
  std::string text(int col) const;
  std::vector<std::uint8_t> blob(int col) const;
  bool is_null(int col) const;

 private:
  Db& db_;
  std::string sql_;  // the Db's key for this statement
  sqlite3_stmt* stmt_ = nullptr;
  bool failed_ = false;
  int rc_ = SQLITE_OK;
};

// Inside another transaction it is a savepoint: committing releases it
// into the outer transaction, and dropping it uncommitted undoes only it.
class Transaction {
 public:
  explicit Transaction(Db& db) : db_(db) {}
  ~Transaction();
  Status begin();
  Status commit();

 private:
  Db& db_;
  bool open_ = false;
  bool nested_ = false;
};

}  // namespace reportd::store
