// RunPipeline end to end, in memory and on a fake clock: a real SQLite store
// (a temp file), two orgs (each connection has its own fake, which plants
// its own marker), a recording mail transport. Covers every final state and
// every retry class, the run deadline in both stages, the API-budget guard
// and a stage that throws. No test sleeps: waits run on the fake clock.
#include <doctest/doctest.h>

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

Clock::WallTime start_time() {
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
    auto full = [] { return 1.0; };  // the full backoff: 2 s, 4 s, 8 s...
    PipelineDeps deps{*store_thread, provider, clock, timer, mail_now, nullptr, {&observer}, full, keys};
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

Status transient() {
  return Status::error(ErrorKind::kTransient, "salesforce: 503 SERVER_UNAVAILABLE",
                       "SERVER_UNAVAILABLE");
}

}  // namespace

TEST_CASE("pipeline: two orgs; each run reads only its own org and mails its own recipients") {
  Fixture f("reportd_pipeline_two_orgs.db");
  RunOutcome a = f.run(f.acme_sched);
  CHECK(a.state == RunState::kSucceeded);
  CHECK(a.rows == 3);
  CHECK(f.acme.queries == 1);
  CHECK(f.globex.queries == 0);
  REQUIRE(f.mail.to.size() == 1);
  CHECK(f.mail.to[0] == "a@acme.example");

  RunOutcome b = f.run(f.globex_sched);
  CHECK(b.state == RunState::kSucceeded);
  CHECK(f.acme.queries == 1);
  CHECK(f.globex.queries == 1);
  REQUIRE(f.mail.to.size() == 2);
  CHECK(f.mail.to[1] == "b@globex.example");

  store::Run saved = f.row(a);
  CHECK(saved.state == RunState::kSucceeded);
  CHECK(saved.rows == 3);
  CHECK(saved.error_code.empty());
  CHECK(saved.attempt == 1);
  CHECK(saved.started_at_ms > 0);
  CHECK(saved.disposed_at_ms >= saved.started_at_ms);
  CHECK(saved.finished_at_ms == saved.disposed_at_ms);
}

TEST_CASE("pipeline: the condition skips with the reason, and nothing is mailed") {
  Fixture f("reportd_pipeline_skip.db");
  f.acme.rows = 0;
  RunOutcome empty = f.run(f.acme_sched);
  CHECK(empty.state == RunState::kSkipped);
  CHECK(empty.reason == "no rows, and send-when-empty is off");

  store::Schedule s = f.schedule(f.globex_sched);
  s.min_rows = 5;
  REQUIRE(f.db->update_schedule(s).ok());
  RunOutcome few = f.run(f.globex_sched);
  CHECK(few.state == RunState::kSkipped);
  CHECK(few.reason == "3 rows, fewer than the minimum of 5");
  CHECK(f.row(few).state == RunState::kSkipped);
  CHECK(f.mail.to.empty());
}

TEST_CASE("pipeline: a transient error is retried with backoff on the fake clock") {
  Fixture f("reportd_pipeline_transient.db");
  f.acme.script = {transient(), transient()};
  const auto t0 = f.clock.steady_now();
  RunOutcome o = f.run(f.acme_sched);
  CHECK(o.state == RunState::kSucceeded);
  CHECK(f.acme.queries == 3);
  CHECK(f.clock.steady_now() - t0 == 6s);  // 2 s, then 4 s
  CHECK(f.globex.queries == 0);

  // SMTP 4xx, the same way.
  f.mail.script = {Status::error(ErrorKind::kTransient, "smtp: 451 try later", "smtp-451")};
  RunOutcome m = f.run(f.globex_sched);
  CHECK(m.state == RunState::kSucceeded);
  CHECK(f.mail.to.size() == 2);
}

TEST_CASE("pipeline: a transient error until the deadline gives up with the last error") {
  Fixture f("reportd_pipeline_give_up.db");
  f.options.run_deadline = 60s;
  for (int i = 0; i < 20; ++i) f.acme.script.push_back(transient());
  RunOutcome o = f.run(f.acme_sched);
  CHECK(o.state == RunState::kFailed);
  // 2 + 4 + 8 + 16 s of backoff; the next 32 s would end past the deadline.
  CHECK(f.acme.queries == 5);
  CHECK(o.reason.find("gave up after 5 attempts within the run deadline") != std::string::npos);
  CHECK(f.row(o).error_code == "SERVER_UNAVAILABLE");
  CHECK(f.mail.to.empty());
}

TEST_CASE("pipeline: permanent errors and caps the run hit fail at once") {
  Fixture f("reportd_pipeline_permanent.db");
  struct Row {
    RowsOrg* org;
    std::int64_t schedule;
    Status error;
  };
  const std::vector<Row> table = {
      {&f.acme, f.acme_sched,
       Status::error(ErrorKind::kPermanent, "salesforce: 400 MALFORMED_QUERY", "MALFORMED_QUERY")},
      {&f.globex, f.globex_sched,
       Status::error(ErrorKind::kLimit, "response body exceeds the size limit", "too-large")},
  };
  for (const Row& r : table) {
    CAPTURE(r.error.code());
    r.org->script = {r.error};
    RunOutcome o = f.run(r.schedule);
    CHECK(o.state == RunState::kFailed);
    CHECK(f.row(o).error_code == r.error.code());
    CHECK(r.org->queries == 1);
  }
  CHECK(f.timer.waits == 2);  // only the two deadline waits, cancelled: no backoff
}

TEST_CASE("pipeline: invalid_grant marks the connection needs-reauth; the other org runs on") {
  Fixture f("reportd_pipeline_reauth.db");
  f.acme.script = {Status::error(ErrorKind::kAuth, "salesforce: invalid_grant", "invalid_grant")};
  RunOutcome o = f.run(f.acme_sched);
  CHECK(o.state == RunState::kFailed);
  CHECK(o.marked_needs_reauth);
  CHECK(f.db->get_connection(f.acme_conn)->status == store::ConnectionStatus::kNeedsReauth);
  CHECK(f.provider.forgotten == std::vector<std::int64_t>{f.acme_conn});
  CHECK(f.acme.queries == 1);

  // The next run of that connection fails without calling Salesforce.
  f.clock.advance(1000ms);
  RunOutcome again = f.run(f.acme_sched);
  CHECK(again.state == RunState::kFailed);
  CHECK(f.acme.queries == 1);

  CHECK(f.run(f.globex_sched).state == RunState::kSucceeded);
  CHECK(f.db->get_connection(f.globex_conn)->status == store::ConnectionStatus::kActive);
}

TEST_CASE("pipeline: the run deadline cancels fetching and delivery") {
  Fixture f("reportd_pipeline_deadline.db");
  f.options.run_deadline = 30min;
  f.acme.hang = 2h;  // a very slow org
  f.mail.hang = 2h;  // a relay that never answers (globex's run gets that far)
  struct Row {
    std::int64_t schedule;
    const char* stage;
  };
  for (const Row& r : {Row{f.acme_sched, "passed while fetching"},
                       Row{f.globex_sched, "passed while delivering"}}) {
    CAPTURE(r.stage);
    const auto t0 = f.clock.steady_now();
    RunOutcome o = f.run(r.schedule);
    CHECK(o.state == RunState::kFailed);
    CHECK(f.row(o).error_code == "deadline");
    CHECK(o.reason.find(r.stage) != std::string::npos);
    CHECK(f.clock.steady_now() - t0 == 30min);
  }
  CHECK(f.acme.queries == 1);
  CHECK(f.globex.queries == 1);
  CHECK(f.mail.to.empty());
}

TEST_CASE("pipeline: over the API budget a run waits, then runs when the usage falls") {
  Fixture f("reportd_pipeline_budget_wait.db");
  f.acme.usage = salesforce::ApiUsage{95, 100};
  f.make();
  // Another call on the org (a sync) learns a lower usage ten minutes on.
  auto later = [](Fixture* fx) -> asio::awaitable<void> {
    co_await fx->timer.wait(10min);
    fx->acme.usage = salesforce::ApiUsage{10, 100};
  };
  asio::co_spawn(f.io, later(&f), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  const auto t0 = f.clock.steady_now();
  RunOutcome o = f.run(f.acme_sched);
  CHECK(o.state == RunState::kSucceeded);
  CHECK(f.clock.steady_now() - t0 == 10min);
  CHECK(f.acme.queries == 1);
}

TEST_CASE("pipeline: over the API budget past the catch-up deadline the run is missed") {
  Fixture f("reportd_pipeline_budget_missed.db");
  f.acme.usage = salesforce::ApiUsage{95, 100};
  const auto t0 = f.clock.steady_now();
  RunOutcome o = f.run(f.acme_sched);
  CHECK(o.state == RunState::kMissed);
  CHECK(o.reason.rfind("api-budget: the org has used 95 of 100", 0) == 0);
  store::Run saved = f.row(o);
  CHECK(saved.error_code == "api-budget");
  CHECK(saved.started_at_ms == 0);
  CHECK(f.clock.steady_now() - t0 == 6h);  // the schedule's catch-up deadline
  CHECK(f.acme.queries == 0);
  CHECK(f.run(f.globex_sched).state == RunState::kSucceeded);  // the other org is not held

  // `run --now` does not wait.
  f.options.scheduled = false;
  f.make();
  const auto t1 = f.clock.steady_now();
  RunOutcome now = f.run(f.acme_sched);
  CHECK(now.state == RunState::kMissed);
  CHECK(f.clock.steady_now() == t1);
}

TEST_CASE("pipeline: a scheduled run of a schedule paused after the claim is cancelled") {
  Fixture f("reportd_pipeline_paused.db");
  REQUIRE(f.db->set_schedule_paused(f.acme_sched, true, "by the operator").ok());
  RunOutcome o = f.run(f.acme_sched);
  CHECK(o.state == RunState::kCancelled);
  CHECK(o.reason == "the schedule is paused: by the operator");
  CHECK(f.row(o).state == RunState::kCancelled);
  CHECK(f.acme.queries == 0);
}

TEST_CASE("pipeline: a stage that throws still finishes the run at once") {
  Fixture f("reportd_pipeline_throws.db");
  f.acme.throws = true;
  RunOutcome o = f.run(f.acme_sched);
  CHECK(o.state == RunState::kFailed);
  CHECK(o.reason == "internal error");
  store::Run saved = f.row(o);
  CHECK(saved.state == RunState::kFailed);
  CHECK(saved.error_code == "internal");
  CHECK(saved.disposed_at_ms > 0);
  CHECK(f.mail.to.empty());
}

TEST_CASE("pipeline: spawned runs tell every observer once, with the saved row") {
  Fixture f("reportd_pipeline_observers.db");
  RunPipeline& p = f.make();
  const std::int64_t a = f.claim(f.acme_sched);
  const std::int64_t b = f.claim(f.globex_sched);
  f.globex.script = {Status::error(ErrorKind::kPermanent, "bad", "MALFORMED_QUERY")};
  p.spawn(f.acme_sched, a);
  p.spawn(f.globex_sched, b);
  CHECK(p.active() == 2);
  test::run_until(f.io, f.clock, f.workers(), [&] { return f.observer.finished.size() == 2; });
  CHECK(p.active() == 0);
  std::map<std::int64_t, store::Run> by_schedule(f.observer.finished.begin(),
                                                 f.observer.finished.end());
  CHECK(by_schedule.at(f.acme_sched).id == a);
  CHECK(by_schedule.at(f.acme_sched).state == RunState::kSucceeded);
  CHECK(by_schedule.at(f.globex_sched).id == b);
  CHECK(by_schedule.at(f.globex_sched).error_code == "MALFORMED_QUERY");
  CHECK(f.acme.queries == 1);
  CHECK(f.globex.queries == 1);
  // The deliveries each run finished come with it: acme's one message.
  std::int64_t sent = 0;
  for (const DeliveryCounts& d : f.observer.deliveries) {
    if (d.count(store::DeliveryChannel::kSmtp) > 0) sent += d.at(store::DeliveryChannel::kSmtp).sent;
  }
  CHECK(sent == 1);
}

TEST_CASE("pipeline: the outcome counts the deliveries this execution finished, per result") {
  Fixture f("reportd_pipeline_delivery_counts.db");
  store::Schedule s = f.schedule(f.acme_sched);
  s.recipients = {"a@acme.example", "b@acme.example"};
  REQUIRE(f.db->update_schedule(s).ok());
  RunOutcome o = f.run(f.acme_sched);
  CHECK(o.state == RunState::kSucceeded);
  REQUIRE(o.deliveries.count(store::DeliveryChannel::kSmtp) == 1);
  CHECK(o.deliveries.at(store::DeliveryChannel::kSmtp).sent == 2);
  CHECK(o.deliveries.at(store::DeliveryChannel::kSmtp).failed == 0);
  // A run that sends nothing counts nothing.
  f.globex.rows = 0;
  CHECK(f.run(f.globex_sched).deliveries.empty());
}

TEST_CASE("pipeline: apply() changes the From of emails sent afterwards") {
  Fixture f("reportd_pipeline_apply_from.db");
  (void)f.run(f.acme_sched);
  REQUIRE(f.mail.messages.size() == 1);
  CHECK(f.mail.messages[0].find("reportd@example.com") != std::string::npos);
  f.pipeline->apply({{"Reports", "new-from@example.com"}});
  (void)f.run(f.globex_sched);
  REQUIRE(f.mail.messages.size() == 2);
  CHECK(f.mail.messages[1].find("From: Reports <new-from@example.com>\r\n") != std::string::npos);
  CHECK(f.mail.messages[1].find("<reportd@example.com>") == std::string::npos);
}

TEST_CASE("pipeline: the schedule's body (Body__c, schedules --body) is in the email above the summary") {
  Fixture f("reportd_pipeline_body.db");
  store::Schedule s = f.schedule(f.acme_sched);
  s.body = "Numbers for the Monday call";
  REQUIRE(f.db->update_schedule(s).ok());
  (void)f.run(f.acme_sched);
  REQUIRE(f.mail.messages.size() == 1);
  const std::string& m = f.mail.messages[0];
  auto body_at = m.find("Numbers for the Monday call");
  REQUIRE(body_at != std::string::npos);
  CHECK(body_at < m.find("Run at"));
}

TEST_CASE("pipeline: a mail transport replaced by a reload is freed once no delivery holds it") {
  Fixture f("reportd_pipeline_mail_lifetime.db");
  auto first = std::make_shared<test::RecordingMail>();
  first->timer = &f.timer;
  std::weak_ptr<deliver::MailTransport> watch = first;
  std::shared_ptr<deliver::MailTransport> current = std::move(first);
  f.mail_source = [&current] { return current; };
  CHECK(f.run(f.acme_sched).state == RunState::kSucceeded);
  CHECK_FALSE(watch.expired());  // still the current one
  auto second = std::make_shared<test::RecordingMail>();
  second->timer = &f.timer;
  current = std::move(second);  // SIGHUP: a new [smtp]
  CHECK(watch.expired());       // the finished run kept nothing of the old one
  CHECK(f.run(f.globex_sched).state == RunState::kSucceeded);
}

TEST_CASE("pipeline: --when changed sends once per change; the store holds a keyed hash, no rows") {
  Fixture f("reportd_pipeline_changed.db");
  crypto::KeyRing keys = reportd::testing::one_key();
  f.keys = &keys;
  for (std::int64_t id : {f.acme_sched, f.globex_sched}) {
    store::Schedule s = f.schedule(id);
    s.send_when = "changed";
    REQUIRE(f.db->update_schedule(s).ok());
  }
  f.acme.marker = f.globex.marker = "SAME-ROWS-MARK";  // two orgs, equal rows
  auto next = [&](std::int64_t id) {
    f.clock.advance(1h);
    return f.run(id);
  };
  CHECK(next(f.acme_sched).state == RunState::kSucceeded);
  CHECK(next(f.globex_sched).state == RunState::kSucceeded);
  RunOutcome same = next(f.acme_sched);
  CHECK(same.state == RunState::kSkipped);
  CHECK(same.reason == "unchanged");
  CHECK(f.row(same).reason == "unchanged");
  CHECK(f.mail.to.size() == 2);
  f.acme.marker = "CHANGED-MARK";
  CHECK(next(f.acme_sched).state == RunState::kSucceeded);
  CHECK(f.mail.to.size() == 3);
  CHECK(next(f.acme_sched).state == RunState::kSkipped);
  // Equal rows in two orgs' schedules hash apart; 32 bytes each.
  auto acme_hash = f.db->get_change_hash(f.acme_sched);
  auto globex_hash = f.db->get_change_hash(f.globex_sched);
  REQUIRE((acme_hash.ok() && acme_hash->has_value() && globex_hash.ok() && globex_hash->has_value()));
  CHECK((*acme_hash)->size() == 32);
  CHECK(**acme_hash != **globex_hash);
  // No row value reached the database file.
  f.pipeline.reset();
  f.store_thread.reset();
  f.db.reset();
  for (const char* suffix : {"", "-wal"}) {
    std::ifstream in(f.path + suffix, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(bytes.find("MARK") == std::string::npos);
  }
}
