#pragma once
// reportd store migrate --to postgresql://USER@HOST:PORT/DB: copies the
// SQLite store of the state directory into an empty PostgreSQL database
// (store/copy.hpp) and prints each table's count. The password is read as
// for [store] url (read_store_password); the SQLite file is left as it was.

#include "daemon/context.hpp"

namespace reportd::daemon {

int cmd_store_migrate(Context& ctx);

}  // namespace reportd::daemon
