#include "store/sqlite_db.hpp"

#include <stdexcept>
#include <utility>

namespace reportd::store {

Db::~Db() {
  drop_prepared();
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

Db::Db(Db&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), prepared_(std::move(other.prepared_)) {
  other.prepared_.clear();
}

Db& Db::operator=(Db&& other) noexcept {
  if (this != &other) {
    drop_prepared();
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    prepared_ = std::move(other.prepared_);
    other.prepared_.clear();
  }
  return *this;
}

sqlite3_stmt* Db::take_prepared(const std::string& sql) {
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) return nullptr;
  sqlite3_stmt* stmt = it->second;
  prepared_.erase(it);
  return stmt;
}

void Db::keep_prepared(std::string sql, sqlite3_stmt* stmt) {
  // Reset and unbound: no row or bound value (a sealed secret, a run's
  // reason) stays with a kept statement.
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  if (prepared_.size() >= kMaxCached || prepared_.count(sql) > 0) {
    sqlite3_finalize(stmt);  // a second of the same text in use at once
    return;
  }
  prepared_.emplace(std::move(sql), stmt);
}

void Db::drop_prepared() {
  for (auto& [sql, stmt] : prepared_) sqlite3_finalize(stmt);
  prepared_.clear();
}

Result<Db> Db::open(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) {
    return Status::error(ErrorKind::kIo, "cannot open database " + path + ": " +
                                             (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(raw, 1);
  // Another process (the CLI while the daemon runs) may hold the write lock
  // briefly; wait for it rather than fail.
  sqlite3_busy_timeout(raw, 5000);
  return db;
}

Status Db::exec(const char* sql, std::string_view what) {
  char* msg = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
    std::string m = msg ? msg : "unknown error";
    sqlite3_free(msg);
    return Status::error(ErrorKind::kIo, std::string(what) + ": " + m);
  }
  return {};
}

Status Db::error(std::string_view what) const {
  return Status::error(ErrorKind::kIo, std::string(what) + ": " + sqlite3_errmsg(db_));
}

Stmt::Stmt(Db& db, const char* sql) : db_(db), sql_(sql) {
  stmt_ = db.take_prepared(sql_);
  if (stmt_ != nullptr) return;
  if (sqlite3_prepare_v2(db.get(), sql, -1, &stmt_, nullptr) != SQLITE_OK) {
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
    throw std::logic_error(std::string("sqlite prepare: ") + sqlite3_errmsg(db.get()) +
                           " in: " + sql);
  }
}

Stmt::~Stmt() {
  if (stmt_ != nullptr) db_.keep_prepared(std::move(sql_), stmt_);
}

Stmt& Stmt::bind(int i, std::int64_t v) {
  sqlite3_bind_int64(stmt_, i, v);
  return *this;
}

Stmt& Stmt::bind(int i, std::string_view v) {
  sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}

Stmt& Stmt::bind(int i, std::span<const std::uint8_t> v) {
  // An empty span has a null data(), which SQLite would store as NULL.
  if (v.empty()) {
    sqlite3_bind_zeroblob(stmt_, i, 0);
  } else {
    sqlite3_bind_blob64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT);
  }
  return *this;
}

Stmt& Stmt::bind_null(int i) {
  sqlite3_bind_null(stmt_, i);
  return *this;
}

bool Stmt::step() {
  rc_ = sqlite3_step(stmt_);
  if (rc_ == SQLITE_ROW) return true;
  failed_ = rc_ != SQLITE_DONE;
  return false;
}

Status Stmt::run(std::string_view what) {
  while (step()) {
  }
  return status(what);
}

Status Stmt::status(std::string_view what) const {
  if (!failed_) return {};
  ErrorKind kind = (rc_ & 0xff) == SQLITE_CONSTRAINT ? ErrorKind::kAlreadyExists : ErrorKind::kIo;
  return Status::error(kind, std::string(what) + ": " + sqlite3_errmsg(db_.get()));
}

void Stmt::reset() {
  sqlite3_reset(stmt_);
  failed_ = false;
  rc_ = SQLITE_OK;
}

std::int64_t Stmt::int64(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string Stmt::text(int col) const {
  const unsigned char* t = sqlite3_column_text(stmt_, col);
  return t ? std::string(reinterpret_cast<const char*>(t),
                         static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
           : std::string();
}

std::vector<std::uint8_t> Stmt::blob(int col) const {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, col));
  auto n = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col));
  return p ? std::vector<std::uint8_t>(p, p + n) : std::vector<std::uint8_t>();
}

bool Stmt::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

Transaction::~Transaction() {
  if (!open_) return;
  const char* undo = nested_ ? "ROLLBACK TO nested; RELEASE nested" : "ROLLBACK";
  sqlite3_exec(db_.get(), undo, nullptr, nullptr, nullptr);
}

Status Transaction::begin() {
  nested_ = sqlite3_get_autocommit(db_.get()) == 0;
  const char* sql = nested_ ? "SAVEPOINT nested" : "BEGIN IMMEDIATE";
  if (Status st = db_.exec(sql, "begin transaction"); !st.ok()) return st;
  open_ = true;
  return {};
}

Status Transaction::commit() {
  if (Status st = db_.exec(nested_ ? "RELEASE nested" : "COMMIT", "commit"); !st.ok()) return st;
  open_ = false;
  return {};
}

}  // namespace reportd::store
