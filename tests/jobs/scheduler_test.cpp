// The Asio scheduler end to end on a real SQLite store (":memory:") and a
// fake clock: restarts and a second process never double-fire, wall-clock
// steps are noticed, run() stops cleanly. No test sleeps.
#include "jobs/scheduler.hpp"

#include <exception>
#include <memory>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <doctest/doctest.h>

#include "store/sqlite_store.hpp"
#include "tests/jobs/fake_clock.hpp"
#include "tests/jobs/run_sync.hpp"
#include "tests/jobs/time_text.hpp"

namespace asio = boost::asio;
using namespace reportd::jobs;  // NOLINT: test file
using reportd::Status;
using reportd::store::RunState;
using test::at;
using test::FakeClock;
using test::run_sync;
using test::text;

namespace {

class RecordingLauncher final : public Launcher {
 public:
  void launch(const Launch& l) override {
    launches.push_back(l);
    if (on_launch) on_launch(l);
  }
  std::vector<Launch> launches;
  std::function<void(const Launch&)> on_launch;
};

struct Fixture {
  Fixture() {
    auto s = reportd::store::SqliteStore::open(":memory:");
    REQUIRE(s.ok());
    store = std::move(s).value();
    reportd::store::Connection c;
    c.name = "acme";
    c.login_url = "https://login.example.com";
    c.client_id = "cid";
    auto id = store->add_connection(c, [](reportd::store::Connection x)
                                           -> reportd::Result<reportd::store::Connection> {
      x.sealed_refresh_token = {1};
      x.key_id = "k";
      return x;
    });
    REQUIRE(id.ok());
    connection = *id;
  }
  std::int64_t add(const char* name, const char* cron, const char* tz = "UTC") {
    reportd::store::Schedule s;
    s.name = name;
    s.connection_id = connection;
    s.cron = cron;
    s.tz = tz;
    s.source = "SELECT Id FROM Account";
    s.formats = {"csv"};
    s.recipients = {"a@example.com"};
    auto id = store->add_schedule(s);
    REQUIRE_MESSAGE(id.ok(), id.status().message());
    return *id;
  }
  std::vector<reportd::store::Run> runs(std::int64_t schedule_id) {
    reportd::store::RunFilter f;
    f.schedule_id = schedule_id;
    f.limit = 1000;
    auto r = store->list_runs(f);
    REQUIRE(r.ok());
    return *r;
  }

  std::unique_ptr<reportd::store::SqliteStore> store;
  std::int64_t connection = 0;
};

}  // namespace

TEST_CASE("scheduler: restart after downtime and a second process never double-fire") {
  Fixture fx;
  const std::int64_t id = fx.add("quarter-hourly", "*/15 * * * *");
  // Before the outage, 10:00 ran.
  REQUIRE(fx.store->claim_occurrence(id, at("2026-05-04T10:00:00Z").time_since_epoch().count(),
                                     RunState::kSucceeded, "", 0)
              .ok());
  asio::io_context io;
  FakeClock clock(at("2026-05-04T11:07:00Z"));
  reportd::store::StoreThread st(*fx.store);
  RecordingLauncher launcher;
  Scheduler a(io.get_executor(), clock, st, launcher, {});
  REQUIRE(run_sync(io, a.load()).ok());
  CHECK(a.load_errors().empty());
  run_sync(io, a.tick());
  REQUIRE(launcher.launches.size() == 1);
  CHECK(text(launcher.launches[0].occurrence.nominal) == "2026-05-04T11:00:00Z");
  auto runs = fx.runs(id);
  REQUIRE(runs.size() == 5);
  int missed = 0;
  for (const auto& r : runs) missed += r.state == RunState::kMissed;
  CHECK(missed == 3);
  // Re-syncing the schedule keeps its cursor: nothing is decided twice.
  REQUIRE(a.upsert(*fx.store->get_schedule(id)).ok());
  CHECK(a.core().cursor(id) == at("2026-05-04T11:00:00Z"));

  // A second process (or this one restarted) at the same moment: nothing new.
  RecordingLauncher other;
  Scheduler b(io.get_executor(), clock, st, other, {});
  REQUIRE(run_sync(io, b.load()).ok());
  run_sync(io, b.tick());
  CHECK(other.launches.empty());
  // Even a process that missed the restart's cursor loses the claim race.
  const date::sys_seconds before_claims = at("2026-05-04T10:59:00Z");
  REQUIRE(b.upsert(*fx.store->get_schedule(id), before_claims).ok());
  run_sync(io, b.tick());
  CHECK(other.launches.empty());
  CHECK(fx.runs(id).size() == 5);
}

TEST_CASE("scheduler: a wall-clock step is noticed and its missed fires say so") {
  Fixture fx;
  const std::int64_t id = fx.add("hourly", "0 * * * *");
  asio::io_context io;
  FakeClock clock(at("2026-05-04T09:59:00Z"));
  reportd::store::StoreThread st(*fx.store);
  RecordingLauncher launcher;
  Scheduler s(io.get_executor(), clock, st, launcher, {});
  REQUIRE(run_sync(io, s.load()).ok());
  // created_at is now-ish in the store; start the cursor explicitly.
  REQUIRE(s.upsert(*fx.store->get_schedule(id), at("2026-05-04T09:59:00Z")).ok());
  run_sync(io, s.tick());
  CHECK(s.sleep_for(clock.wall_now()) == std::chrono::seconds{60});
  clock.advance(std::chrono::seconds{60});
  run_sync(io, s.tick());
  REQUIRE(launcher.launches.size() == 1);
  s.run_finished(id);
  CHECK(s.clock_steps() == 0);
  // The wall clock jumps 3 h ahead while only 5 s pass.
  clock.advance(std::chrono::seconds{5});
  clock.step_wall(std::chrono::hours{3});
  run_sync(io, s.tick());
  CHECK(s.clock_steps() == 1);
  REQUIRE(launcher.launches.size() == 2);
  CHECK(text(launcher.launches[1].occurrence.nominal) == "2026-05-04T13:00:00Z");
  int stepped = 0;
  for (const auto& r : fx.runs(id))
    stepped += r.state == RunState::kMissed && r.reason.find("stepped forward") != std::string::npos;
  CHECK(stepped == 2);
  // And back 2 h: nothing fires again.
  s.run_finished(id);
  clock.step_wall(-std::chrono::hours{2});
  run_sync(io, s.tick());
  CHECK(s.clock_steps() == 2);
  CHECK(launcher.launches.size() == 2);
  CHECK(s.sleep_for(clock.wall_now()) == std::chrono::minutes{15});  // capped by max_sleep
}

TEST_CASE("scheduler: run() launches what is due and stops when told") {
  Fixture fx;
  const std::int64_t id = fx.add("daily", "0 9 * * *");
  asio::io_context io;
  FakeClock clock(at("2026-05-04T09:00:00Z"));
  reportd::store::StoreThread st(*fx.store);
  RecordingLauncher launcher;
  Scheduler s(io.get_executor(), clock, st, launcher, {});
  REQUIRE(run_sync(io, s.load()).ok());
  REQUIRE(s.upsert(*fx.store->get_schedule(id), at("2026-05-04T08:00:00Z")).ok());
  launcher.on_launch = [&](const Launch&) { s.stop(); };
  run_sync(io, s.run());
  CHECK(launcher.launches.size() == 1);
}

TEST_CASE("scheduler: invalid stored schedules are reported, not loaded") {
  Fixture fx;
  fx.add("ok", "0 9 * * *");
  fx.add("too-often", "* * * * *");
  asio::io_context io;
  FakeClock clock(at("2026-05-04T09:00:00Z"));
  reportd::store::StoreThread st(*fx.store);
  RecordingLauncher launcher;
  Scheduler s(io.get_executor(), clock, st, launcher, {});
  REQUIRE(run_sync(io, s.load()).ok());
  CHECK(s.core().size() == 1);
  REQUIRE(s.load_errors().size() == 1);
  CHECK(s.load_errors()[0].message().find("schedule `too-often`") == 0);
}

TEST_CASE("scheduler: occurrences due together are claimed at once; a schedule removed meanwhile fires for no one") {
  Fixture fx;
  const std::int64_t a = fx.add("a", "0 * * * *");
  fx.add("b", "0 * * * *");
  const std::int64_t c = fx.add("c", "0 * * * *", "Europe/Berlin");
  asio::io_context io;
  FakeClock clock(at("2026-05-04T09:59:00Z"));
  reportd::store::StoreThread st(*fx.store);
  RecordingLauncher launcher;
  Scheduler s(io.get_executor(), clock, st, launcher, {});
  REQUIRE(run_sync(io, s.load()).ok());
  for (const char* name : {"a", "b", "c"})
    REQUIRE(s.upsert(*fx.store->find_schedule(name), at("2026-05-04T09:59:00Z")).ok());
  // The CLI removes b before the scheduler has reloaded.
  REQUIRE(fx.store->remove_schedule("b").ok());
  clock.advance(std::chrono::seconds{60});
  run_sync(io, s.tick());
  CHECK(s.claim_errors() == 0);
  REQUIRE(launcher.launches.size() == 2);
  CHECK(launcher.launches[0].occurrence.schedule_id + launcher.launches[1].occurrence.schedule_id ==
        a + c);
  CHECK(fx.runs(a).size() == 1);
  CHECK(fx.runs(c).size() == 1);
  // A restart resumes every schedule after its last claim (one query for all).
  RecordingLauncher other;
  Scheduler again(io.get_executor(), clock, st, other, {});
  REQUIRE(run_sync(io, again.load()).ok());
  CHECK(again.core().size() == 2);
  CHECK(again.core().cursor(a) == at("2026-05-04T10:00:00Z"));
  CHECK(again.core().cursor(c) == at("2026-05-04T10:00:00Z"));
  run_sync(io, again.tick());
  CHECK(other.launches.empty());
}

TEST_CASE("scheduler: two nodes claim their own shares first, and a silent node's share after the grace") {
  Fixture fx;
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 8; ++i) ids.push_back(fx.add(("s" + std::to_string(i)).c_str(), "0 * * * *"));
  asio::io_context io;
  FakeClock clock(at("2026-05-04T09:59:00Z"));
  reportd::store::StoreThread st(*fx.store);
  RecordingLauncher on_a, on_b;
  SchedulerOptions options;
  options.claim_grace = std::chrono::seconds(2);
  options.per_org_limit = 16;
  Scheduler a(io.get_executor(), clock, st, on_a, options);
  Scheduler b(io.get_executor(), clock, st, on_b, options);
  for (Scheduler* s : {&a, &b}) REQUIRE(run_sync(io, s->load()).ok());
  a.set_share({0, 2});
  b.set_share({1, 2});
  int owned_by_a = 0;
  for (std::int64_t id : ids) owned_by_a += owns(a.share(), id) ? 1 : 0;
  CHECK(owned_by_a > 0);
  CHECK(owned_by_a < 8);
  for (std::int64_t id : ids) CHECK(owns(a.share(), id) != owns(b.share(), id));

  // B is late: A claims its own share at once and holds B's back.
  clock.advance(std::chrono::seconds{60});
  run_sync(io, a.tick());
  CHECK(on_a.launches.size() == static_cast<std::size_t>(owned_by_a));
  CHECK(a.held_back() == static_cast<std::size_t>(8 - owned_by_a));
  CHECK(a.sleep_for(clock.wall_now()) == std::chrono::seconds(2));
  clock.advance(std::chrono::seconds{1});
  run_sync(io, b.tick());
  CHECK(on_b.launches.size() == static_cast<std::size_t>(8 - owned_by_a));
  // After the grace, each finds the other's share claimed: nothing twice.
  clock.advance(std::chrono::seconds{2});
  run_sync(io, a.tick());
  run_sync(io, b.tick());
  CHECK(on_a.launches.size() == static_cast<std::size_t>(owned_by_a));
  CHECK(on_b.launches.size() == static_cast<std::size_t>(8 - owned_by_a));
  CHECK(a.held_back() + b.held_back() == 0);
  for (Launch l : on_a.launches) CHECK(owns(a.share(), l.occurrence.schedule_id));
  for (std::int64_t id : ids) {
    CHECK(fx.runs(id).size() == 1);
    a.run_finished(id);
    b.run_finished(id);
  }

  // B falls silent: A claims its own share at once and B's after the grace.
  clock.advance(std::chrono::seconds{3600 - 3});
  run_sync(io, a.tick());
  CHECK(on_a.launches.size() == static_cast<std::size_t>(2 * owned_by_a));
  clock.advance(std::chrono::seconds{2});
  run_sync(io, a.tick());
  CHECK(on_a.launches.size() == static_cast<std::size_t>(owned_by_a + 8));
  for (std::int64_t id : ids) CHECK(fx.runs(id).size() == 2);
  // Once B is known gone (one live node), A owns everything again.
  a.set_share({0, 1});
  for (std::int64_t id : ids) CHECK(owns(a.share(), id));
}

TEST_CASE("scheduler: with no claim grace a node claims every due occurrence at once") {
  Fixture fx;
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(fx.add(("g" + std::to_string(i)).c_str(), "0 * * * *"));
  asio::io_context io;
  FakeClock clock(at("2026-05-04T09:59:00Z"));
  reportd::store::StoreThread st(*fx.store);
  RecordingLauncher on_a;
  SchedulerOptions options;
  options.claim_grace = std::chrono::seconds(0);
  options.per_org_limit = 16;
  Scheduler a(io.get_executor(), clock, st, on_a, options);
  REQUIRE(run_sync(io, a.load()).ok());
  a.set_share({0, 2});  // another node owns part of them
  clock.advance(std::chrono::seconds{60});
  run_sync(io, a.tick());
  CHECK(on_a.launches.size() == ids.size());
  CHECK(a.held_back() == 0);
}
