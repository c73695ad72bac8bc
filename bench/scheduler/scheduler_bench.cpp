// scheduler_bench [--schedules N] [--history RUNS] [--idle SECONDS]
// Loads N schedules (default 100,000), each with RUNS past runs (default
// 10), from an in-memory SQLite store into the real Scheduler, then prints:
// load time (wall and CPU), peak RSS and the RSS kept per armed schedule,
// next_fire() calls per second, and the CPU used while the armed scheduler
// sits idle (default 60 s). The schedules fire daily or weekly at
// random times that avoid the hour around the run, so the idle window has no
// due fires: every wake counted there is overhead.
//
// scheduler_bench --due N --db FILE
// N schedules in a SQLite file, all due at once: prints the time of the one
// wake that claims them. Count its fsyncs with
// `strace -f -e trace=fsync,fdatasync`: the wake lies between the lines
// "claims: begin" and "claims: end" (printed with write(2)).
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <date/tz.h>

#include "jobs/next_fire.hpp"
#include "jobs/schedule_spec.hpp"
#include "jobs/scheduler.hpp"
#include "store/sqlite_store.hpp"

namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

long peak_rss_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

// Resident memory now (not the peak), after giving freed heap back.
double rss_now_mib() {
  malloc_trim(0);
  long size = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &size, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / 1048576.0;
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// 50 connections (orgs); empty when the store fails.
std::vector<std::int64_t> add_orgs(reportd::store::Store& store) {
  std::vector<std::int64_t> orgs;
  for (int o = 0; o < 50; ++o) {
    reportd::store::Connection c;
    c.name = "org" + std::to_string(o);
    c.login_url = "https://login.example.com";
    c.client_id = "cid";
    auto id = store.add_connection(
        c, [](reportd::store::Connection x) -> reportd::Result<reportd::store::Connection> {
          x.sealed_refresh_token = {1};
          x.key_id.assign("key0");
          return x;
        });
    if (!id.ok()) return {};
    orgs.push_back(*id);
  }
  return orgs;
}

// The SQLite store at `path` with add_orgs() in it; nullptr when it fails.
std::unique_ptr<reportd::store::SqliteStore> open_with_orgs(const std::string& path,
                                                            std::vector<std::int64_t>& orgs) {
  auto opened = reportd::store::SqliteStore::open(path);
  if (!opened.ok()) {
    std::fprintf(stderr, "store: %s\n", opened.status().message().c_str());
    return nullptr;
  }
  auto store = std::move(opened).value();
  orgs = add_orgs(*store);
  if (orgs.empty()) return nullptr;
  return store;
}

void marker(const char* text) {
  // write(2), so that strace shows it between the fsyncs.
  const std::string line = std::string(text) + "\n";
  if (::write(1, line.data(), line.size()) < 0) std::perror("write");
}

class CountingLauncher final : public reportd::jobs::Launcher {
 public:
  void launch(const reportd::jobs::Launch& l) override {
    ++launches;
    if (scheduler) scheduler->run_finished(l.occurrence.schedule_id);
  }
  long launches = 0;
  reportd::jobs::Scheduler* scheduler = nullptr;
};

// N schedules every 5 minutes, created 6 minutes ago: one occurrence of
// each is due at once. Times the wake that claims and launches them all.
int due_bench(long n, const std::string& db) {
  std::vector<std::int64_t> orgs;
  auto store = open_with_orgs(db, orgs);
  if (!store) return 1;
  const std::int64_t created_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count() -
      6 * 60 * 1000;
  const reportd::Status added = store->transaction([&](reportd::store::Store& s) {
    for (long i = 0; i < n; ++i) {
      reportd::store::Schedule sc;
      sc.name = "due" + std::to_string(i);
      sc.connection_id = orgs[static_cast<std::size_t>(i) % orgs.size()];
      sc.cron = "*/5 * * * *";
      sc.source = "SELECT Id FROM Account";
      sc.created_at_ms = created_ms;
      if (auto id = s.add_schedule(sc); !id.ok()) return id.status();
    }
    return reportd::Status{};
  });
  if (!added.ok()) return 1;

  asio::io_context io;
  reportd::jobs::SystemClock clock;
  reportd::store::StoreThread st(*store);
  CountingLauncher launcher;  // runs never finish: no recursion into the scheduler
  reportd::jobs::SchedulerOptions options;
  options.global_limit = options.per_org_limit = 1 << 30;
  reportd::jobs::Scheduler scheduler(io.get_executor(), clock, st, launcher, options);
  reportd::Status loaded;
  asio::co_spawn(io, scheduler.load(), [&](std::exception_ptr e, reportd::Status s) {
    if (e) std::rethrow_exception(e);
    loaded = std::move(s);
  });
  io.run();
  if (!loaded.ok()) return 1;
  marker("claims: begin");
  const auto t = Clock::now();
  asio::co_spawn(io, scheduler.tick(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.restart();
  io.run();
  const double wake_s = since(t);
  marker("claims: end");
  std::printf("one wake claimed and launched %ld of %ld due occurrences in %.3f s "
              "(%ld claim errors)\n",
              launcher.launches, n, wake_s, static_cast<long>(scheduler.claim_errors()));
  return launcher.launches == n ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  long n = 100000;
  double idle = 60;
  long due = 0;
  long history = 10;
  std::string db;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--schedules") n = std::atol(argv[i + 1]);
    if (a == "--idle") idle = std::atof(argv[i + 1]);
    if (a == "--due") due = std::atol(argv[i + 1]);
    if (a == "--db") db = argv[i + 1];
    if (a == "--history") history = std::atol(argv[i + 1]);
  }
  if (due > 0) return due_bench(due, db.empty() ? ":memory:" : db);
  std::vector<std::int64_t> orgs;
  auto store = open_with_orgs(":memory:", orgs);
  if (!store) return 1;
  const char* zones[] = {"UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata",
                         "Australia/Lord_Howe", "America/Santiago"};
  // Each schedule's local hour is 2+ hours away from the zone's current hour.
  std::vector<long> local_hour;
  for (const char* z : zones) {
    const auto local = date::make_zoned(z, std::chrono::system_clock::now()).get_local_time();
    local_hour.push_back(static_cast<long>(
        (local - date::floor<date::days>(local)) / std::chrono::hours{1}));
  }
  std::mt19937_64 rng(7);
  auto t = Clock::now();
  const reportd::Status added = store->transaction([&](reportd::store::Store& tx) {
    for (long i = 0; i < n; ++i) {
      reportd::store::Schedule s;
      s.name = "s" + std::to_string(i);
      s.connection_id = orgs[static_cast<std::size_t>(i) % orgs.size()];
      const std::size_t zi = static_cast<std::size_t>(rng() % std::size(zones));
      const long hour = (local_hour[zi] + 2 + static_cast<long>(rng() % 20)) % 24;
      const long minute = static_cast<long>(rng() % 60);
      s.cron = std::to_string(minute) + " " + std::to_string(hour) + " * * " +
               (rng() % 3 == 0 ? "1-5" : "*");
      s.tz = zones[zi];
      s.source = "SELECT Id FROM Account";
      if (auto id = tx.add_schedule(s); !id.ok()) return id.status();
    }
    return reportd::Status{};
  });
  if (!added.ok()) return 1;
  // Run history: `history` past runs of every schedule, the latest an hour
  // ago (no schedule fires within two hours of now, so none is due).
  const auto hour_ago = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count() -
                        3600;
  for (long k = 0; k < history; ++k) {
    std::vector<reportd::store::OccurrenceClaim> claims;
    for (long id = 1; id <= n; ++id)
      claims.push_back({id, hour_ago - k * 86400, reportd::store::RunState::kSucceeded, ""});
    if (!store->claim_occurrences(claims, 0).ok()) return 1;
  }
  std::printf("store insert of %ld schedules and %ld runs each: %.2f s (not part of load)\n", n,
              history, since(t));
  const long rss_before = peak_rss_kib();
  const double rss_now_before = rss_now_mib();

  asio::io_context io;
  reportd::jobs::SystemClock clock;
  reportd::store::StoreThread st(*store);
  CountingLauncher launcher;
  reportd::jobs::Scheduler scheduler(io.get_executor(), clock, st, launcher, {});
  launcher.scheduler = &scheduler;

  t = Clock::now();
  double cpu0 = cpu_seconds();
  reportd::Status loaded;
  asio::co_spawn(io, scheduler.load(), [&](std::exception_ptr e, reportd::Status s) {
    if (e) std::rethrow_exception(e);
    loaded = std::move(s);
  });
  io.run();
  if (!loaded.ok()) {
    std::fprintf(stderr, "load: %s\n", loaded.message().c_str());
    return 1;
  }
  std::printf("load (store read + parse + first next_fire + heap): %.2f s wall, %.2f s CPU "
              "for %zu schedules\n",
              since(t), cpu_seconds() - cpu0, scheduler.core().size());
  // The in-memory SQLite store lives in this process too.
  std::printf("peak RSS: %.1f MiB before load, %.1f MiB after\n",
              static_cast<double>(rss_before) / 1024.0,
              static_cast<double>(peak_rss_kib()) / 1024.0);
  const double kept = rss_now_mib() - rss_now_before;
  std::printf("RSS kept by the loaded scheduler: %.1f MiB, %.0f bytes per armed schedule\n", kept,
              kept * 1048576.0 / static_cast<double>(scheduler.core().size()));
  {
    // The same load split in two: the store read, and the pure part.
    t = Clock::now();
    cpu0 = cpu_seconds();
    auto all = store->list_active_schedules();
    const double list_s = since(t), list_cpu = cpu_seconds() - cpu0;
    t = Clock::now();
    cpu0 = cpu_seconds();
    reportd::jobs::SchedulerCore core({});
    const date::sys_seconds now = date::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    for (const auto& a : *all) core.upsert(*reportd::jobs::make_spec(a.schedule()), now);
    std::printf("  of which (wall/CPU s): list_active_schedules %.2f/%.2f; "
                "parse + first next_fire + heap %.2f/%.2f\n",
                list_s, list_cpu, since(t), cpu_seconds() - cpu0);
  }

  // next_fire() throughput over a mix of expressions and DST zones.
  std::vector<reportd::jobs::CronExpr> exprs;
  for (const char* e : {"*/15 * * * *", "0 9 * * 1-5", "30 2 * * *", "0 */2 * * *",
                        "0 0 L * *", "0 8 * * 1#1", "15 10 15W * *", "0 0 1 1 *"})
    exprs.push_back(*reportd::jobs::parse_cron(e));
  std::vector<const date::time_zone*> tz;
  for (const char* z : zones) tz.push_back(*reportd::jobs::find_zone(z));
  long calls = 0;
  date::sys_seconds after{std::chrono::seconds{1'767'225'600}};  // 2026-01-01
  t = Clock::now();
  while (since(t) < 2.0) {
    for (int i = 0; i < 1000; ++i, ++calls) {
      const auto f = reportd::jobs::next_fire(exprs[static_cast<std::size_t>(calls) % exprs.size()],
                                              *tz[static_cast<std::size_t>(calls / 8) % tz.size()],
                                              after);
      after += std::chrono::seconds{f ? 3541 : 1};
    }
  }
  std::printf("next_fire: %.0f calls/s\n", static_cast<double>(calls) / since(t));

  // Idle: the armed scheduler on its io_context for `idle` seconds.
  bool finished = false;
  asio::co_spawn(io, scheduler.run(), [&](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
    finished = true;
  });
  io.restart();
  io.run_for(std::chrono::milliseconds{50});  // the first wake
  const long wakes_before = scheduler.wakes();
  const double cpu_before = cpu_seconds();
  t = Clock::now();
  io.run_for(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>(idle)));
  const double cpu = cpu_seconds() - cpu_before;
  std::printf("idle %.0f s with %zu schedules armed: CPU %.3f ms, %ld wakes, %ld launches\n",
              since(t), scheduler.core().size(), cpu * 1000, scheduler.wakes() - wakes_before,
              launcher.launches);
  scheduler.stop();
  io.run();
  return finished ? 0 : 1;
}
