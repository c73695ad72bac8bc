// RunPipeline end to end, in memory and on a fake clock: a real SQLite store
// (a temp file), two orgs (each connection has its own fake, which plants
// its own marker), a recording mail transport. Covers every final state and
// every retry class, the run deadline in both stages, the API-budget guard
// and a stage that throws. No test sleeps: waits run on the fake clock.

#include <doctest/doctest.h>

#include "tests/jobs/run_pipeline_fixture.hpp"

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
