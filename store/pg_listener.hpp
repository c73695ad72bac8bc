#pragma once
// PgListener: a PostgreSQL session of its own that LISTENs on the channel
// every change to connections or schedules is NOTIFYed on (PgStore::bump(),
// in the change's transaction, so the notice leaves at its commit and never
// for a rolled-back change). A node hears another node's or the CLI's
// change as it commits. A notice carries no data: the listener's owner
// decides from the store (data_version()) what changed. Connecting blocks;
// take() does not. One thread at a time.

#include <string>
#include <string_view>

#include "store/pg_conn.hpp"
#include "table/status.hpp"

namespace reportd::store {

// The channel of changes to connections and schedules.
inline constexpr const char* kChangeChannel = "reportd_changes";

class PgListener {
 public:
  // Connects to `url` (as PgStore::open) and LISTENs. Blocks.
  static Result<PgListener> connect(const std::string& url, std::string_view password);

  // The session's socket, to wait on for reading.
  int socket() const;
  // Without blocking: reads what the server sent and returns how many
  // notices arrived since the last call (0: none yet). kTransient when the
  // session broke; connect again then.
  Result<int> take();

 private:
  explicit PgListener(PgConn conn) : conn_(std::move(conn)) {}
  PgConn conn_;
};

}  // namespace reportd::store
