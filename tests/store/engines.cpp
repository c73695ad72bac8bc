#include "engines.hpp"

#include <cstdlib>

#include "store/open.hpp"
#include "store/pg_conn.hpp"

namespace reportd::store {

std::string pg_test_url() {
  const char* url = std::getenv("REPORTD_TEST_PG_URL");
  return url ? url : "";
}

std::unique_ptr<Store> fresh_sqlite() {
  auto s = open(":memory:");
  REQUIRE_MESSAGE(s.ok(), s.status().message());
  return std::move(s).value();
}

std::unique_ptr<Store> fresh_postgres() {
  const std::string url = pg_test_url();
  if (url.empty()) {
    MESSAGE("skipped: REPORTD_TEST_PG_URL is not set (ctest -R store_pg_test runs these)");
    return nullptr;
  }
  {
    auto conn = PgConn::connect(url, {});
    REQUIRE_MESSAGE(conn.ok(), conn.status().message());
    Status st = conn->exec_script(
        "DROP SCHEMA IF EXISTS public CASCADE; DROP TABLE IF EXISTS reportd_meta; "
        "CREATE SCHEMA public",
        "reset test database");
    REQUIRE_MESSAGE(st.ok(), st.message());
  }
  auto s = open(url);
  REQUIRE_MESSAGE(s.ok(), s.status().message());
  return std::move(s).value();
}

std::int64_t add_conn(Store& s, const std::string& name, const std::string& key_id) {
  Connection c;
  c.name = name;
  c.login_url = "https://login.example.com";
  c.client_id = "cid";
  auto id = s.add_connection(c, [&](Connection with_id) -> Result<Connection> {
    with_id.sealed_refresh_token = {1, 2, 3, static_cast<std::uint8_t>(with_id.id)};
    with_id.key_id = key_id;
    return with_id;
  });
  std::string why = id.ok() ? std::string() : id.status().message();
  INFO(why);
  REQUIRE(id.ok());
  return *id;
}

Schedule make_schedule(std::int64_t conn, const std::string& name) {
  Schedule s;
  s.name = name;
  s.connection_id = conn;
  s.cron = "0 9 * * 1-5";
  s.tz = "Europe/Berlin";
  s.source = "SELECT Id FROM Account";
  s.formats = {"csv", "xlsx"};
  s.recipients = {"a@example.com", "b@example.com"};
  return s;
}

}  // namespace reportd::store
