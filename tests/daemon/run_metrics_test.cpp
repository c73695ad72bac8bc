// reportd_runs_total counts every run row that reaches a final state exactly
// once, whichever component finalised it: the scheduler (missed, skipped for
// overlap) or the run pipeline. A real Scheduler on a real SQLite store
// (":memory:") with a fake clock feeds `serve`'s ServeEndpoint, as
// cmd_serve.cpp wires them. No test sleeps.
#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <map>
#include <memory>
#include <string>

#include "daemon/runtime.hpp"
#include "daemon/serve_endpoint.hpp"
#include "jobs/scheduler.hpp"
#include "store/sqlite_store.hpp"
#include "tests/jobs/fake_clock.hpp"
#include "tests/jobs/run_sync.hpp"

namespace asio = boost::asio;
using namespace reportd;  // NOLINT: test file
using jobs::test::run_sync;
using store::RunState;

namespace {

class HeldLauncher final : public jobs::Launcher {
 public:
  void launch(const jobs::Launch& l) override { launches.push_back(l); }
  std::vector<jobs::Launch> launches;
};

jobs::Clock::WallTime at_utc(int hour, int minute, int second = 0) {
  using namespace std::chrono;
  const auto day = date::sys_days(date::year(2026) / 5 / 4);
  return jobs::Clock::WallTime(
      duration_cast<milliseconds>(day.time_since_epoch() + hours(hour) + minutes(minute) +
                                  seconds(second)));
}

std::int64_t seconds_of(jobs::Clock::WallTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// reportd_runs_total{state=...} and the duration histogram's count, as rendered.
std::map<std::string, std::string> scrape(daemon::Metrics& m) {
  std::map<std::string, std::string> out;
  const std::string text = m.render();
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.rfind("reportd_runs_total{", 0) == 0 ||
        line.rfind("reportd_run_duration_seconds_count", 0) == 0 ||
        line.rfind("reportd_scheduler_lag_seconds_count", 0) == 0) {
      const auto space = line.rfind(' ');
      out[line.substr(0, space)] = line.substr(space + 1);
    }
  }
  return out;
}

std::map<std::string, int> final_rows(store::Store& s, std::int64_t schedule_id) {
  store::RunFilter f;
  f.schedule_id = schedule_id;
  f.limit = 1000;
  auto runs = s.list_runs(f);
  REQUIRE(runs.ok());
  std::map<std::string, int> out;
  for (const store::Run& r : *runs) {
    if (store::is_final(r.state)) ++out[std::string(store::to_string(r.state))];
  }
  return out;
}

}  // namespace

TEST_CASE("metrics: missed and overlap-skipped occurrences the scheduler records count once") {
  auto opened = store::SqliteStore::open(":memory:");
  REQUIRE(opened.ok());
  std::unique_ptr<store::SqliteStore> db = std::move(opened).value();
  store::Connection c;
  c.name = "acme";
  c.login_url = "https://login.example.com";
  c.client_id = "cid";
  auto cid = db->add_connection(c, [](store::Connection x) -> Result<store::Connection> {
    x.sealed_refresh_token = {1};
    x.key_id = "k";
    return x;
  });
  REQUIRE(cid.ok());
  store::Schedule sc;
  sc.name = "quarter-hourly";
  sc.connection_id = *cid;
  sc.cron = "*/15 * * * *";
  sc.tz = "UTC";
  sc.source = "SELECT Id FROM Account";
  sc.formats = {"csv"};
  sc.recipients = {"a@example.com"};
  auto sid = db->add_schedule(sc);
  REQUIRE_MESSAGE(sid.ok(), sid.status().message());
  // Before an outage, 10:00 was claimed (by an earlier process).
  REQUIRE(db->claim_occurrence(*sid, seconds_of(at_utc(10, 0)), RunState::kSucceeded, "", 0).ok());

  asio::io_context io;
  daemon::Config config;
  REQUIRE(crypto::init_sodium());
  std::vector<crypto::MasterKey> keys;
  keys.push_back(crypto::generate_key());
  crypto::KeyRing ring(std::move(keys));
  daemon::Runtime runtime(io, config, ring, *db);
  daemon::ServeEndpoint endpoint(io, runtime, config);
  jobs::test::FakeClock clock(at_utc(11, 7));
  HeldLauncher launcher;
  jobs::Scheduler scheduler(io.get_executor(), clock, runtime.store_thread, launcher, {});
  scheduler.set_on_recorded([&endpoint](const store::Run& run) { endpoint.run_recorded(run); });
  REQUIRE(run_sync(io, scheduler.load()).ok());

  // 11:07 after the outage: 10:15, 10:30 and 10:45 are missed, 11:00 runs.
  run_sync(io, scheduler.tick());
  REQUIRE(launcher.launches.size() == 1);
  auto m = scrape(endpoint.metrics());
  CHECK(m["reportd_runs_total{state=\"missed\"}"] == "3");
  CHECK(m["reportd_runs_total{state=\"skipped\"}"] == "0");

  // 11:15 while 11:00 still runs: skipped for overlap.
  clock.set_wall(at_utc(11, 15, 1));
  run_sync(io, scheduler.tick());
  m = scrape(endpoint.metrics());
  CHECK(m["reportd_runs_total{state=\"skipped\"}"] == "1");

  // A second process on the same store decides the same occurrences but
  // loses every claim: nothing is counted twice.
  HeldLauncher other;
  jobs::Scheduler second(io.get_executor(), clock, runtime.store_thread, other, {});
  second.set_on_recorded([&endpoint](const store::Run& run) { endpoint.run_recorded(run); });
  REQUIRE(run_sync(io, second.load()).ok());
  REQUIRE(second.upsert(*db->get_schedule(*sid), date::floor<std::chrono::seconds>(at_utc(10, 0)))
              .ok());
  run_sync(io, second.tick());
  CHECK(other.launches.empty());
  m = scrape(endpoint.metrics());
  CHECK(m["reportd_runs_total{state=\"missed\"}"] == "3");
  CHECK(m["reportd_runs_total{state=\"skipped\"}"] == "1");

  // The launched run ends through the pipeline's path.
  auto row = db->get_run(launcher.launches[0].run_id);
  REQUIRE(row.ok());
  store::Run done = *row;
  done.state = RunState::kSucceeded;
  done.started_at_ms = at_utc(11, 7).time_since_epoch().count();
  done.finished_at_ms = done.started_at_ms + 1500;
  done.rows = 12;
  REQUIRE(db->update_run(done).ok());
  endpoint.run_finished(done);
  scheduler.run_finished(*sid);
  io.restart();
  io.run();

  m = scrape(endpoint.metrics());
  CHECK(m["reportd_runs_total{state=\"succeeded\"}"] == "1");
  CHECK(m["reportd_runs_total{state=\"missed\"}"] == "3");
  CHECK(m["reportd_runs_total{state=\"skipped\"}"] == "1");
  CHECK(m["reportd_runs_total{state=\"failed\"}"] == "0");
  // Only the run that started has a duration and a lag.
  CHECK(m["reportd_run_duration_seconds_count"] == "1");
  CHECK(m["reportd_scheduler_lag_seconds_count"] == "1");

  // Every final row this process wrote is counted, the earlier process's
  // 10:00 row aside.
  auto rows = final_rows(*db, *sid);
  CHECK(rows["missed"] == 3);
  CHECK(rows["skipped"] == 1);
  CHECK(rows["succeeded"] == 2);
}

TEST_CASE("metrics: a recorded row's sample has a duration and lag only when it started") {
  store::Run missed;
  missed.state = RunState::kMissed;
  missed.nominal_s = 1000;
  daemon::RunSample s = daemon::run_sample(missed);
  CHECK(s.state == "missed");
  CHECK(!s.duration_s);
  CHECK(!s.lag_s);

  store::Run ran;
  ran.state = RunState::kFailed;
  ran.nominal_s = 1000;
  ran.started_at_ms = 1'002'500;
  ran.finished_at_ms = 1'004'000;
  ran.rows = 7;
  ran.bytes = 99;
  s = daemon::run_sample(ran);
  CHECK(s.state == "failed");
  REQUIRE(s.duration_s);
  CHECK(*s.duration_s == doctest::Approx(1.5));
  REQUIRE(s.lag_s);
  CHECK(*s.lag_s == doctest::Approx(2.5));
  CHECK(s.rows == 7);
  CHECK(s.bytes == 99);
}
