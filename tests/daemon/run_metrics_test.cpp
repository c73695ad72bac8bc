// reportd_runs_total counts every run row that reaches a final state exactly
// once, whichever component finalised it: the scheduler (missed, skipped for
// overlap) or the run pipeline. The real Server on a real SQLite store
// (":memory:") with a fake clock; it holds claimed runs instead of running
// them, and the test ends them through the Server's run events as the
// pipeline does. No sockets, no test sleeps.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <map>
#include <memory>
#include <string>

#include "tests/daemon/server_fixture.hpp"
#include "tests/jobs/run_sync.hpp"

namespace asio = boost::asio;
using namespace reportd;  // NOLINT: test file
using jobs::test::run_sync;
using store::RunState;

namespace {

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
        line.rfind("reportd_deliveries_total{", 0) == 0 ||
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
  daemon::test::ServerFixture f(at_utc(11, 7));
  store::Store* db = f.db.get();
  auto sid = f.add("quarter-hourly", "*/15 * * * *");
  // Before an outage, 10:00 was claimed (by an earlier process).
  REQUIRE(db->claim_occurrence(sid, seconds_of(at_utc(10, 0)), RunState::kSucceeded, "", 0).ok());
  auto& clock = f.clock;
  auto& launcher = f.launcher;
  auto first = f.server();
  daemon::Server& server = *first;
  asio::io_context& io = server.io();
  REQUIRE(run_sync(io, server.load()).ok());

  // 11:07 after the outage: 10:15, 10:30 and 10:45 are missed, 11:00 runs.
  run_sync(io, server.scheduler().tick());
  REQUIRE(launcher.launches.size() == 1);
  auto m = scrape(server.metrics());
  CHECK(m["reportd_runs_total{state=\"missed\"}"] == "3");
  CHECK(m["reportd_runs_total{state=\"skipped\"}"] == "0");

  // 11:15 while 11:00 still runs: skipped for overlap.
  clock.set_wall(at_utc(11, 15, 1));
  run_sync(io, server.scheduler().tick());
  m = scrape(server.metrics());
  CHECK(m["reportd_runs_total{state=\"skipped\"}"] == "1");

  // A second process on the same store decides the same occurrences but
  // loses every claim: it counts nothing, and nothing is counted twice.
  daemon::test::HeldLauncher other;
  auto second_server = f.server(&other);
  daemon::Server& second = *second_server;
  // (Its scheduler only: Server::load() would also recover the run held above.)
  REQUIRE(run_sync(second.io(), second.scheduler().load()).ok());
  REQUIRE(second.scheduler()
              .upsert(*db->get_schedule(sid), date::floor<std::chrono::seconds>(at_utc(10, 0)))
              .ok());
  run_sync(second.io(), second.scheduler().tick());
  CHECK(other.launches.empty());
  auto m2 = scrape(second.metrics());
  CHECK(m2["reportd_runs_total{state=\"missed\"}"] == "0");
  CHECK(m2["reportd_runs_total{state=\"skipped\"}"] == "0");
  m = scrape(server.metrics());
  CHECK(m["reportd_runs_total{state=\"missed\"}"] == "3");
  CHECK(m["reportd_runs_total{state=\"skipped\"}"] == "1");

  // The launched run ends through the pipeline's path, the server's run
  // events, with the deliveries it finished.
  auto row = db->get_run(launcher.launches[0].run_id);
  REQUIRE(row.ok());
  store::Run done = *row;
  done.state = RunState::kSucceeded;
  done.started_at_ms = at_utc(11, 7).time_since_epoch().count();
  done.finished_at_ms = done.started_at_ms + 1500;
  done.rows = 12;
  REQUIRE(db->update_run(done).ok());
  server.run_events().on_finished({sid, done, {{store::DeliveryChannel::kSmtp, {1, 0}}}, {}});
  CHECK(server.scheduler().core().running() == 0);
  io.restart();
  io.run();  // its write-back (none: the schedule is not synced)

  m = scrape(server.metrics());
  CHECK(m["reportd_runs_total{state=\"succeeded\"}"] == "1");
  CHECK(m["reportd_runs_total{state=\"missed\"}"] == "3");
  CHECK(m["reportd_runs_total{state=\"skipped\"}"] == "1");
  CHECK(m["reportd_runs_total{state=\"failed\"}"] == "0");
  CHECK(m["reportd_deliveries_total{channel=\"smtp\",result=\"sent\"}"] == "1");
  // Only the run that started has a duration and a lag.
  CHECK(m["reportd_run_duration_seconds_count"] == "1");
  CHECK(m["reportd_scheduler_lag_seconds_count"] == "1");

  // Every final row this process wrote is counted, the earlier process's
  // 10:00 row aside.
  auto rows = final_rows(*db, sid);
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
