#include "store/pg_listener.hpp"

namespace reportd::store {

Result<PgListener> PgListener::connect(const std::string& url, std::string_view password) {
  Result<PgConn> conn = PgConn::connect(url, password);
  if (!conn.ok()) return std::move(conn).status().with_context("listen for changes");
  auto r = conn->exec(std::string("LISTEN ") + kChangeChannel, "listen for changes");
  if (!r.ok()) return r.status();
  // Non-blocking from here: take() only reads what already arrived.
  if (PQsetnonblocking(conn->get(), 1) != 0) {
    return Status::error(ErrorKind::kIo, "listen for changes: cannot make the session non-blocking");
  }
  return PgListener(std::move(conn).value());
}

int PgListener::socket() const { return PQsocket(conn_.get()); }

Result<int> PgListener::take() {
  PGconn* c = conn_.get();
  if (PQconsumeInput(c) == 0 || PQstatus(c) == CONNECTION_BAD) {
    return Status::error(ErrorKind::kTransient,
                         "listen for changes: the session to the database broke");
  }
  int n = 0;
  while (PGnotify* notice = PQnotifies(c)) {
    PQfreemem(notice);
    ++n;
  }
  return n;
}

}  // namespace reportd::store
