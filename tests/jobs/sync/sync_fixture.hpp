#pragma once
// A real SQLite store (":memory:") with one connection, its store thread, a
// FakeOrg and a fake clock, and a way to run one coroutine to completion.

#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <memory>
#include <optional>

#include "store/store_thread.hpp"
#include "store/sqlite_store.hpp"
#include "tests/jobs/fake_clock.hpp"
#include "tests/jobs/sync/fake_org.hpp"

namespace reportd::sync::test {

template <class T>
boost::asio::awaitable<std::optional<T>> optional_of(boost::asio::awaitable<T> a) {
  co_return co_await std::move(a);
}

struct SyncFixture {
  std::unique_ptr<store::SqliteStore> db;
  std::unique_ptr<store::StoreThread> thread;
  FakeOrg org;
  FakeProvider provider{org};
  jobs::test::FakeClock clock{
      jobs::Clock::WallTime(std::chrono::milliseconds(1772445600000))};  // 2026-03-02T10:00Z
  boost::asio::io_context io;
  store::Connection connection;

  SyncFixture() {
    auto d = store::SqliteStore::open(":memory:");
    REQUIRE(d.ok());
    db = std::move(d).value();
    connection.name = "acme";
    connection.login_url = "https://login.example.com";
    connection.client_id = "cid";
    connection.allowed_domains = {"acme.com"};
    auto id = db->add_connection(connection, [](store::Connection c) -> Result<store::Connection> {
      c.sealed_refresh_token = {1};
      c.key_id = "k";
      return c;
    });
    REQUIRE(id.ok());
    connection.id = *id;
    thread = std::make_unique<store::StoreThread>(*db);
  }

  // Runs `a` on io to completion and returns its value.
  template <class T>
  T run(boost::asio::awaitable<T> a) {
    std::exception_ptr error;
    std::optional<T> out;
    boost::asio::co_spawn(io, optional_of(std::move(a)),
                          [&](std::exception_ptr e, std::optional<T> v) {
                            error = e;
                            out = std::move(v);
                          });
    io.restart();
    io.run();
    if (error) std::rethrow_exception(error);
    REQUIRE(out.has_value());
    return std::move(*out);
  }

  ScheduleRecord record(std::string id, std::string name) {
    return sample_record(std::move(id), std::move(name));
  }
};

}  // namespace reportd::sync::test
