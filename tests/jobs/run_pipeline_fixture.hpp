#pragma once
// The pipeline tests' fixture (run_pipeline_test.cpp, run_pipeline_mail_test.cpp):
// a real SQLite store in a temp file, two orgs (each connection has its own
// fake, which plants its own marker), a recording mail transport, a fake
// clock. Test-only: brings the namespaces the tests use into scope.

#include <boost/asio/co_spawn.hpp>
#include <filesystem>
#include <fstream>
#include <memory>

#include "jobs/run_pipeline.hpp"
#include "store/sqlite_store.hpp"
#include "tests/jobs/fake_clock.hpp"
#include "tests/jobs/run_fakes.hpp"
#include "tests/jobs/test_keys.hpp"

namespace asio = boost::asio;
using namespace reportd;        // NOLINT: test file
using namespace reportd::jobs;  // NOLINT: test file
using namespace std::chrono_literals;
using store::RunState;
using test::FakeClock;
using test::RowsOrg;

namespace {

[[maybe_unused]] Clock::WallTime start_time() {
  const auto day = date::sys_days(date::year(2026) / 5 / 4);
  return Clock::WallTime(std::chrono::duration_cast<std::chrono::milliseconds>(
      day.time_since_epoch() + std::chrono::hours(8)));
}

class Observer final : public RunObserver {
 public:
  std::vector<std::pair<std::int64_t, store::Run>> finished;
  std::vector<std::int64_t> paused;
  std::vector<DeliveryCounts> deliveries;
  void on_finished(const FinishedRun& f) override {
    finished.emplace_back(f.schedule_id, f.run);
    deliveries.push_back(f.deliveries);
  }
  void on_paused(std::int64_t schedule_id) override { paused.push_back(schedule_id); }
};

struct Fixture {
  std::string path;
  std::unique_ptr<store::SqliteStore> db;
  asio::io_context io;
  FakeClock clock{start_time()};
  test::FakeTimer timer{clock};
  std::unique_ptr<store::StoreThread> store_thread;
  RowsOrg acme{"ACME-MARK", timer};
  RowsOrg globex{"GLOBEX-MARK", timer};
  test::OrgsProvider provider;
  test::RecordingMail mail;
  // The transport each delivery takes; empty: `mail`, not owned.
  std::function<std::shared_ptr<deliver::MailTransport>()> mail_source;
  Observer observer;
  std::int64_t acme_conn = 0, globex_conn = 0, acme_sched = 0, globex_sched = 0;
  PipelineOptions options;
  // The jitter: by default 1.0, the full backoff (2 s, 4 s, 8 s...).
  std::function<double()> random = [] { return 1.0; };
  const crypto::KeyRing* keys = nullptr;
  std::unique_ptr<RunPipeline> pipeline;

  explicit Fixture(const char* name) {
    path = (std::filesystem::temp_directory_path() / name).string();
    remove_files();
    auto opened = store::SqliteStore::open(path);
    REQUIRE(opened.ok());
    db = std::move(*opened);
    acme_conn = add_connection("acme");
    globex_conn = add_connection("globex");
    acme_sched = add_schedule("acme daily", acme_conn, "a@acme.example");
    globex_sched = add_schedule("globex daily", globex_conn, "b@globex.example");
    provider.orgs = {{acme_conn, &acme}, {globex_conn, &globex}};
    mail.timer = &timer;
    store_thread = std::make_unique<store::StoreThread>(*db);
    options.scheduled = true;
    options.from = {"reportd", "reportd@example.com"};
  }
  ~Fixture() {
    pipeline.reset();
    store_thread.reset();
    db.reset();
    remove_files();
  }
  void remove_files() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }

  std::int64_t add_connection(const char* name) {
    store::Connection c;
    c.name = name;
    c.login_url = "https://login.example.com";
    c.client_id = "cid";
    auto id = db->add_connection(c, [](store::Connection x) -> Result<store::Connection> {
      x.sealed_refresh_token = {1};
      x.key_id = "k";
      return x;
    });
    REQUIRE(id.ok());
    return *id;
  }
  std::int64_t add_schedule(const char* name, std::int64_t conn, const char* to) {
    store::Schedule s;
    s.name = name;
    s.connection_id = conn;
    s.cron = "0 8 * * *";
    s.source = "SELECT Name FROM Account";
    s.formats = {"csv"};
    s.recipients = {to};
    auto id = db->add_schedule(s);
    REQUIRE_MESSAGE(id.ok(), id.status().message());
    return *id;
  }
  store::Schedule schedule(std::int64_t id) { return *db->get_schedule(id); }

  RunPipeline& make() {
    auto mail_now = [this] {
      if (mail_source) return mail_source();
      return std::shared_ptr<deliver::MailTransport>(std::shared_ptr<deliver::MailTransport>(), &mail);  // not owned
    };
    PipelineDeps deps{*store_thread, provider, clock, timer, mail_now, nullptr, {&observer}, random, keys};
    pipeline = std::make_unique<RunPipeline>(io.get_executor(), deps, options);
    return *pipeline;
  }
  std::int64_t claim(std::int64_t schedule_id) {
    const std::int64_t now = clock.wall_now().time_since_epoch().count();
    auto id = db->claim_occurrence(schedule_id, now / 1000, RunState::kPending, "", now);
    REQUIRE((id.ok() && id->has_value()));
    return **id;
  }
  std::vector<asio::any_io_executor> workers() {
    return {store_thread->executor(), pipeline->cpu_executor()};
  }
  RunOutcome run(std::int64_t schedule_id) {
    if (!pipeline) make();
    const std::int64_t id = claim(schedule_id);
    return test::run_virtual(io, clock, pipeline->execute(id), workers());
  }
  store::Run row(const RunOutcome& o) { return *db->get_run(o.record.id); }
};

[[maybe_unused]] Status transient() {
  return Status::error(ErrorKind::kTransient, "salesforce: 503 SERVER_UNAVAILABLE",
                       "SERVER_UNAVAILABLE");
}

}  // namespace
