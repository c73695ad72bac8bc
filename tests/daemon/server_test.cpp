// Server (daemon/server.hpp) without sockets or loops: built from a config,
// a key ring and a real SQLite store (":memory:"), on a fake clock, holding
// the runs it claims. load() and schedules_changed() are the scheduler's
// only ways to the schedules table. No test sleeps.
#include "daemon/server.hpp"

#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <memory>

#include "tests/daemon/server_fixture.hpp"
#include "tests/jobs/run_sync.hpp"

namespace asio = boost::asio;
using namespace reportd;  // NOLINT: test file
using jobs::test::run_sync;

namespace {

jobs::Clock::WallTime noon() {
  const auto day = date::sys_days(date::year(2026) / 5 / 4);
  return jobs::Clock::WallTime(std::chrono::duration_cast<std::chrono::milliseconds>(
      day.time_since_epoch() + std::chrono::hours(12)));
}

struct Fixture : daemon::test::ServerFixture {
  Fixture() : ServerFixture(noon()) {}
  void pause(std::int64_t id) {
    store::Schedule s = *db->get_schedule(id);
    s.paused = true;
    s.pause_reason = "by hand";
    REQUIRE(db->update_schedule(s).ok());
  }
};

}  // namespace

TEST_CASE("server: schedules_changed() brings the scheduler in step with the store") {
  Fixture f;
  const std::int64_t daily = f.add("daily", "0 9 * * *");
  auto server = f.server();
  asio::io_context& io = server->io();
  REQUIRE(run_sync(io, server->load()).ok());
  const jobs::SchedulerCore& core = server->scheduler().core();
  CHECK(core.size() == 1);

  // Added: planned from now.
  const std::int64_t hourly = f.add("hourly", "0 * * * *");
  run_sync(io, server->schedules_changed());
  CHECK(core.size() == 2);
  CHECK(core.cursor(hourly) == date::floor<std::chrono::seconds>(noon()));

  // Paused: dropped; its timing changed while paused, then resumed: planned again.
  f.pause(daily);
  run_sync(io, server->schedules_changed());
  CHECK(core.size() == 1);
  CHECK_FALSE(core.cursor(daily).has_value());
  store::Schedule s = *f.db->get_schedule(daily);
  s.paused = false;
  s.cron = "30 9 * * *";
  REQUIRE(f.db->update_schedule(s).ok());
  run_sync(io, server->schedules_changed());
  CHECK(core.size() == 2);
  CHECK(core.cursor(daily).has_value());

  // Removed.
  REQUIRE(f.db->remove_schedule("hourly").ok());
  run_sync(io, server->schedules_changed());
  CHECK(core.size() == 1);
  CHECK_FALSE(core.cursor(hourly).has_value());
}

TEST_CASE("server: schedules_changed() asked for during a reload joins it; nothing is lost") {
  Fixture f;
  auto server = f.server();
  asio::io_context& io = server->io();
  REQUIRE(run_sync(io, server->load()).ok());
  // Holds the store thread, so the first reload's read waits behind it.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  asio::post(server->runtime().store_thread.executor(), [released] { released.wait(); });
  int done = 0;
  auto count = [&done](std::exception_ptr e) {
    CHECK_FALSE(e);
    ++done;
  };
  asio::co_spawn(io, server->schedules_changed(), count);
  asio::co_spawn(io, server->schedules_changed(), count);
  asio::co_spawn(io, server->schedules_changed(), count);
  io.restart();
  io.poll();
  CHECK(done == 2);  // the later two only asked the first to read again
  f.add("one", "0 9 * * *");
  f.add("two", "0 10 * * *");
  release.set_value();
  io.restart();
  io.run();
  CHECK(done == 3);
  CHECK(server->scheduler().core().size() == 2);
}

TEST_CASE("server: an automatic pause reaches the scheduler through the run events") {
  Fixture f;
  const std::int64_t id = f.add("daily", "0 9 * * *");
  auto server = f.server();
  asio::io_context& io = server->io();
  REQUIRE(run_sync(io, server->load()).ok());
  CHECK(server->scheduler().core().size() == 1);
  f.pause(id);
  server->run_events().on_paused(id);
  io.restart();
  io.run();
  CHECK(server->scheduler().core().size() == 0);
}

TEST_CASE("server: load() queues the runs a kill interrupted behind the limits") {
  Fixture f;
  const std::int64_t id = f.add("daily", "0 9 * * *");
  const std::int64_t nominal =
      date::floor<std::chrono::seconds>(noon()).time_since_epoch().count() - 3 * 3600;
  auto run = f.db->claim_occurrence(id, nominal, store::RunState::kPending, "", 0);
  REQUIRE((run.ok() && run->has_value()));
  auto server = f.server();
  REQUIRE(run_sync(server->io(), server->load()).ok());
  REQUIRE(f.launcher.launches.size() == 1);
  CHECK(f.launcher.launches[0].run_id == **run);
  CHECK(server->scheduler().core().running() == 1);
}
