#include "store/pg_conn.hpp"

#include <charconv>
#include <cstring>
#include <utility>

namespace reportd::store {
namespace {

std::string trimmed(const char* s) {
  std::string out = s ? s : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

// The kind and the message of a failed result; see the header for what a
// message may hold.
Status result_error(PGconn* conn, const PGresult* r, std::string_view what) {
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string sqlstate = state ? state : "";
  std::string message;
  if (sqlstate.rfind("22", 0) == 0) {
    message = "the server refused a value";
  } else if (const char* primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr) {
    message = primary;
  } else {
    message = trimmed(PQerrorMessage(conn));
  }
  if (!sqlstate.empty()) message += " (SQLSTATE " + sqlstate + ")";
  ErrorKind kind = ErrorKind::kIo;
  if (sqlstate.rfind("23", 0) == 0) kind = ErrorKind::kAlreadyExists;
  if (PQstatus(conn) == CONNECTION_BAD || sqlstate.rfind("08", 0) == 0 ||
      sqlstate.rfind("57P", 0) == 0 || sqlstate == "40001" || sqlstate == "40P01") {
    kind = ErrorKind::kTransient;
  }
  return Status::error(kind, std::string(what) + ": " + message, sqlstate);
}

}  // namespace

std::string pg_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  for (char c : sql) {
    if (c == '?') {
      out += '$' + std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

// --- PgResult

PgResult::~PgResult() { PQclear(r_); }
PgResult::PgResult(PgResult&& other) noexcept : r_(std::exchange(other.r_, nullptr)) {}
PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    PQclear(r_);
    r_ = std::exchange(other.r_, nullptr);
  }
  return *this;
}

int PgResult::rows() const { return r_ ? PQntuples(r_) : 0; }

std::int64_t PgResult::affected() const {
  const char* n = r_ ? PQcmdTuples(r_) : "";
  std::int64_t v = 0;
  std::from_chars(n, n + std::strlen(n), v);
  return v;
}

bool PgResult::is_null(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }

std::int64_t PgResult::int64(int row, int col) const {
  const char* s = PQgetvalue(r_, row, col);
  if (std::strcmp(s, "t") == 0) return 1;
  if (std::strcmp(s, "f") == 0) return 0;
  std::int64_t v = 0;
  std::from_chars(s, s + std::strlen(s), v);
  return v;
}

std::string PgResult::text(int row, int col) const {
  return std::string(PQgetvalue(r_, row, col), static_cast<std::size_t>(PQgetlength(r_, row, col)));
}

std::vector<std::uint8_t> PgResult::blob(int row, int col) const {
  std::size_t n = 0;
  unsigned char* raw =
      PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(r_, row, col)), &n);
  if (raw == nullptr) return {};
  std::vector<std::uint8_t> out(raw, raw + n);
  PQfreemem(raw);
  return out;
}

// --- PgParams

void PgParams::put(int i, std::string v, int format, bool null) {
  auto at = static_cast<std::size_t>(i - 1);
  if (values_.size() <= at) {
    values_.resize(at + 1);
    formats_.resize(at + 1, 0);
    null_.resize(at + 1, true);
  }
  values_[at] = std::move(v);
  formats_[at] = format;
  null_[at] = null;
}

PgParams& PgParams::bind(int i, std::int64_t v) {
  put(i, std::to_string(v), 0, false);
  return *this;
}

PgParams& PgParams::bind(int i, std::string_view v) {
  put(i, std::string(v), 0, false);
  return *this;
}

PgParams& PgParams::bind(int i, std::span<const std::uint8_t> v) {
  put(i, std::string(v.begin(), v.end()), 1, false);
  return *this;
}

PgParams& PgParams::bind_null(int i) {
  put(i, {}, 0, true);
  return *this;
}

std::vector<const char*> PgParams::values() const {
  std::vector<const char*> out;
  for (std::size_t i = 0; i < values_.size(); ++i) {
    out.push_back(null_[i] ? nullptr : values_[i].c_str());
  }
  return out;
}

std::vector<int> PgParams::lengths() const {
  std::vector<int> out;
  for (const std::string& v : values_) out.push_back(static_cast<int>(v.size()));
  return out;
}

// --- PgConn

PgConn::~PgConn() {
  if (conn_ != nullptr) PQfinish(conn_);
}

PgConn::PgConn(PgConn&& other) noexcept
    : conn_(std::exchange(other.conn_, nullptr)),
      pending_(std::exchange(other.pending_, {0})),
      own_changes_(other.own_changes_) {}

PgConn& PgConn::operator=(PgConn&& other) noexcept {
  if (this != &other) {
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = std::exchange(other.conn_, nullptr);
    pending_ = std::exchange(other.pending_, {0});
    own_changes_ = other.own_changes_;
  }
  return *this;
}

Result<PgConn> PgConn::connect(const std::string& url, std::string_view password) {
  // A NUL-terminated copy for libpq, zeroed as soon as it has been read.
  std::vector<char> pw(password.begin(), password.end());
  pw.push_back('\0');
  const char* keys[] = {"dbname", "password", "client_encoding", "fallback_application_name", nullptr};
  const char* values[] = {url.c_str(), password.empty() ? nullptr : pw.data(), "UTF8", "reportd",
                          nullptr};
  PGconn* raw = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  explicit_bzero(pw.data(), pw.size());
  PgConn conn(raw);
  if (raw == nullptr) return Status::error(ErrorKind::kIo, "out of memory");
  if (PQstatus(raw) != CONNECTION_OK) {
    return Status::error(ErrorKind::kTransient, trimmed(PQerrorMessage(raw)));
  }
  // Terse errors: no DETAIL or CONTEXT, which can quote values.
  PQsetErrorVerbosity(raw, PQERRORS_TERSE);
  PQsetErrorContextVisibility(raw, PQSHOW_CONTEXT_NEVER);
  // Server notices ("relation already exists, skipping") would go to
  // stderr, outside the log's control: drop them.
  PQsetNoticeProcessor(raw, [](void*, const char*) {}, nullptr);
  return conn;
}

Status PgConn::reset_if_broken(std::string_view what) {
  if (PQstatus(conn_) != CONNECTION_BAD) return {};
  // Whatever transaction was open died with the connection.
  pending_.assign(1, 0);
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) {
    return Status::error(
        ErrorKind::kTransient,
        std::string(what) + ": the database is unreachable: " + trimmed(PQerrorMessage(conn_)));
  }
  PQsetErrorVerbosity(conn_, PQERRORS_TERSE);
  PQsetErrorContextVisibility(conn_, PQSHOW_CONTEXT_NEVER);
  return {};
}

Result<PgResult> PgConn::exec(std::string_view sql, const PgParams& params, std::string_view what) {
  if (Status st = reset_if_broken(what); !st.ok()) return st;
  std::string text = pg_placeholders(sql);
  std::vector<const char*> values = params.values();
  std::vector<int> lengths = params.lengths();
  PgResult r(PQexecParams(conn_, text.c_str(), params.size(), nullptr, values.data(),
                          lengths.data(), params.formats().data(), 0));
  ExecStatusType s = PQresultStatus(r.raw());
  if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) return result_error(conn_, r.raw(), what);
  return r;
}

Result<PgResult> PgConn::exec_atomic(std::string_view sql, const PgParams& params,
                                     std::string_view what) {
  if (!in_transaction()) return exec(sql, params, what);
  PgTransaction tx(*this);
  if (Status st = tx.begin(); !st.ok()) return st;
  Result<PgResult> r = exec(sql, params, what);
  if (!r.ok()) return r;
  if (Status st = tx.commit(); !st.ok()) return st;
  return r;
}

Status PgConn::exec_script(const char* sql, std::string_view what) {
  if (Status st = reset_if_broken(what); !st.ok()) return st;
  PgResult r(PQexec(conn_, sql));
  ExecStatusType s = PQresultStatus(r.raw());
  if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) return result_error(conn_, r.raw(), what);
  return {};
}

bool PgConn::in_transaction() const { return PQtransactionStatus(conn_) != PQTRANS_IDLE; }

// --- PgTransaction

PgTransaction::~PgTransaction() {
  if (!open_) return;
  const char* undo =
      nested_ ? "ROLLBACK TO SAVEPOINT nested; RELEASE SAVEPOINT nested" : "ROLLBACK";
  PQclear(PQexec(conn_.conn_, undo));
  settle(false);
}

Status PgTransaction::begin() {
  nested_ = conn_.in_transaction();
  if (Status st = conn_.exec_script(nested_ ? "SAVEPOINT nested" : "BEGIN", "begin transaction");
      !st.ok()) {
    return st;
  }
  conn_.pending_.push_back(0);
  open_ = true;
  return {};
}

Status PgTransaction::commit() {
  // PostgreSQL answers COMMIT in a failed transaction by rolling back.
  if (PQtransactionStatus(conn_.conn_) == PQTRANS_INERROR) {
    return Status::error(ErrorKind::kIo,
                         "commit: a statement of the transaction failed; rolled back");
  }
  Status st = conn_.exec_script(nested_ ? "RELEASE SAVEPOINT nested" : "COMMIT", "commit");
  if (!st.ok()) return st;  // the destructor rolls back
  settle(true);
  open_ = false;
  return {};
}

// Hands this level's count of changes to the level around it (the base
// level commits them), or drops it.
void PgTransaction::settle(bool committed) {
  if (conn_.pending_.size() < 2) return;  // the connection was reset meanwhile
  std::int64_t n = conn_.pending_.back();
  conn_.pending_.pop_back();
  if (!committed) return;
  if (conn_.pending_.size() == 1) {
    conn_.own_changes_ += n;
  } else {
    conn_.pending_.back() += n;
  }
}

}  // namespace reportd::store
