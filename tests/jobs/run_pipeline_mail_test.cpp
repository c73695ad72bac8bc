// RunPipeline's mail: the From after apply(), the schedule's body text, a
// replaced transport's lifetime and --when changed. Same fixture as
// run_pipeline_test.cpp.

#include <doctest/doctest.h>

#include "tests/jobs/run_pipeline_fixture.hpp"

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
    s.send_when = store::SendWhen::kChanged;
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
