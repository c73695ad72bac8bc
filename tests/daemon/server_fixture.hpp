#pragma once
// What the Server's doctests share: a real SQLite store (":memory:") with one
// connection ("acme", its token sealed with a placeholder), a key ring, a
// fake clock, and Servers built on them that hold the runs they claim
// (HeldLauncher) instead of running them.

#include <doctest/doctest.h>

#include <memory>
#include <vector>

#include "daemon/server.hpp"
#include "store/sqlite_store.hpp"
#include "tests/jobs/fake_clock.hpp"

namespace reportd::daemon::test {

class HeldLauncher final : public jobs::Launcher {
 public:
  void launch(const jobs::Launch& l) override { launches.push_back(l); }
  std::vector<jobs::Launch> launches;
};

inline crypto::KeyRing key_ring() {
  REQUIRE(crypto::init_sodium());
  std::vector<crypto::MasterKey> keys;
  keys.push_back(crypto::generate_key());
  return crypto::KeyRing(std::move(keys));
}

struct ServerFixture {
  std::unique_ptr<store::SqliteStore> db;
  crypto::KeyRing ring = key_ring();
  jobs::test::FakeClock clock;
  HeldLauncher launcher;
  std::int64_t connection = 0;

  explicit ServerFixture(jobs::Clock::WallTime start) : clock(start) {
    auto opened = store::SqliteStore::open(":memory:");
    REQUIRE(opened.ok());
    db = std::move(opened).value();
    store::Connection c;
    c.name = "acme";
    c.login_url = "https://login.example.com";
    c.client_id = "cid";
    auto id = db->add_connection(c, [](store::Connection x) -> Result<store::Connection> {
      x.sealed_refresh_token = {1};
      x.key_id = "k";
      return x;
    });
    REQUIRE(id.ok());
    connection = *id;
  }

  // A CSV schedule of the connection in UTC, mailed to a@example.com.
  std::int64_t add(const char* name, const char* cron) {
    store::Schedule s;
    s.name = name;
    s.connection_id = connection;
    s.cron = cron;
    s.tz = "UTC";
    s.source = "SELECT Id FROM Account";
    s.formats = {"csv"};
    s.recipients = {"a@example.com"};
    auto id = db->add_schedule(s);
    REQUIRE_MESSAGE(id.ok(), id.status().message());
    return *id;
  }

  // A Server on the store and clock; `held` (default: launcher) gets its runs.
  std::unique_ptr<Server> server(HeldLauncher* held = nullptr) {
    ServerEnv env;
    env.clock = &clock;
    env.launcher = held != nullptr ? held : &launcher;
    return std::make_unique<Server>(Config{}, ring, *db, std::move(env));
  }
};

}  // namespace reportd::daemon::test
