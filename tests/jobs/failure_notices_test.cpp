// Failure notices and auto-pause, against a real SQLite store on the store
// thread and a recording mail transport; the mail itself is parsed back.
#include "jobs/failure_notices.hpp"

#include <doctest/doctest.h>

#include <filesystem>

#include "deliver/coro_util.hpp"
#include "store/sqlite_store.hpp"

namespace reportd::jobs {
namespace {

namespace asio = boost::asio;
using store::RunState;
using testing::run_sync;

class RecordingTransport final : public deliver::MailTransport {
 public:
  std::vector<std::vector<std::string>> envelopes;
  std::vector<std::string> messages;
  asio::awaitable<Result<deliver::SendReport>> send(deliver::Envelope env,
                                                    deliver::MessageSource& message) override {
    envelopes.push_back(env.to);
    messages.push_back(deliver::read_all(message));
    deliver::SendReport rep;
    for (const auto& a : env.to) {
      rep.recipients.push_back(deliver::RecipientResult{a, deliver::RcptOutcome::kAccepted, 250, "ok"});
    }
    co_return rep;
  }
  std::uint64_t max_message_bytes() const override { return 1 << 20; }
};

// A transport the test owns, handed out the way the runtime shares its own.
std::shared_ptr<deliver::MailTransport> unowned(deliver::MailTransport& mail) {
  return std::shared_ptr<deliver::MailTransport>(std::shared_ptr<deliver::MailTransport>(), &mail);
}

struct Fixture {
  std::string path;
  std::unique_ptr<store::SqliteStore> db;
  std::int64_t schedule_id = 0;
  std::int64_t next_nominal = 1700000000;

  explicit Fixture(const char* name) {
    path = (std::filesystem::temp_directory_path() / name).string();
    std::filesystem::remove(path);
    auto opened = store::SqliteStore::open(path);
    REQUIRE(opened.ok());
    db = std::move(*opened);
    store::Connection c;
    c.name = "acme";
    c.login_url = "https://login.salesforce.com";
    c.client_id = "x";
    c.org_id = "00D000000000001AAA";
    auto cid = db->add_connection(c, [](store::Connection w) -> Result<store::Connection> { return w; });
    REQUIRE(cid.ok());
    store::Schedule s;
    s.name = "weekly pipeline";
    s.connection_id = *cid;
    s.cron = "0 8 * * 1";
    s.owner_email = "owner@example.com";
    auto sid = db->add_schedule(s);
    REQUIRE(sid.ok());
    schedule_id = *sid;
  }
  ~Fixture() {
    db.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }

  store::Run finish(RunState state, std::string reason, std::string code = "MALFORMED_QUERY") {
    auto id = db->claim_occurrence(schedule_id, next_nominal, RunState::kRunning, "", next_nominal);
    next_nominal += 60;
    REQUIRE((id.ok() && id->has_value()));
    auto run = db->get_run(**id);
    REQUIRE(run.ok());
    run->state = state;
    run->started_at_ms = run->nominal_s * 1000;
    run->reason = std::move(reason);
    run->error_code = state == RunState::kFailed ? code : "";
    REQUIRE(db->update_run(*run).ok());
    return *run;
  }

  // An occurrence the scheduler recorded without starting it.
  void never_started(RunState state, const char* reason) {
    auto id = db->claim_occurrence(schedule_id, next_nominal, state, reason, next_nominal);
    next_nominal += 60;
    REQUIRE((id.ok() && id->has_value()));
  }
};

NoticeOptions options(int limit) {
  NoticeOptions o;
  o.failures_before_pause = limit;
  o.operator_email = "ops@example.com";
  o.from = {"reportd", "reportd@example.com"};
  return o;
}

TEST_CASE("failures_in_a_row counts from the newest run to the first that did not fail") {
  std::vector<store::Run> runs(4);
  for (auto& r : runs) r.started_at_ms = 1;
  runs[0].state = RunState::kFailed;
  runs[1].state = RunState::kFailed;
  runs[2].state = RunState::kSucceeded;
  runs[3].state = RunState::kFailed;
  CHECK(failures_in_a_row(runs) == 2);
  CHECK(failures_in_a_row({}) == 0);
  // Skipped for overlap (never started) sits between failures: looked past.
  runs[1].state = RunState::kSkipped;
  runs[1].started_at_ms = 0;
  runs[2].state = RunState::kFailed;
  CHECK(failures_in_a_row(runs) == 4 - 1);
  // A run that started and was skipped for no rows worked: the count stops.
  runs[0].state = RunState::kSkipped;
  CHECK(failures_in_a_row(runs) == 0);
}

TEST_CASE("a schedule that fails N times in a row is paused once, with one notice") {
  Fixture f("reportd-notices-pause.db");
  RecordingTransport mail;
  store::StoreThread thread(*f.db);
  FailureNotices notices(thread, unowned(mail), options(3));

  // A success between failures resets the count.
  for (RunState st : {RunState::kFailed, RunState::kFailed, RunState::kSucceeded,
                      RunState::kFailed, RunState::kFailed}) {
    store::Run r = f.finish(st, st == RunState::kFailed ? "MALFORMED_QUERY: unexpected token" : "");
    NoticeOutcome o = run_sync(notices.run_finished(r, false, 1));
    CHECK_FALSE(o.paused);
    CHECK(o.error.empty());
  }
  CHECK(mail.messages.empty());

  store::Run third = f.finish(RunState::kFailed, "MALFORMED_QUERY: unexpected token");
  NoticeOutcome o = run_sync(notices.run_finished(third, false, 1));
  CHECK(o.paused);
  REQUIRE(mail.messages.size() == 1);
  CHECK(mail.envelopes[0] == std::vector<std::string>{"owner@example.com", "ops@example.com"});
  const std::string& m = mail.messages[0];
  CHECK(m.find("paused after 3 failed runs") != std::string::npos);
  CHECK(m.find("reportd schedules resume") != std::string::npos);
  auto s = f.db->get_schedule(f.schedule_id);
  REQUIRE(s.ok());
  CHECK(s->paused);
  CHECK(s->pause_reason.find("3 failed runs in a row") != std::string::npos);
  CHECK(s->pause_reason.find("MALFORMED_QUERY") != std::string::npos);

  // Already paused: a run that was in flight fails too, but nobody is mailed again.
  store::Run late = f.finish(RunState::kFailed, "MALFORMED_QUERY: unexpected token");
  o = run_sync(notices.run_finished(late, false, 1));
  CHECK_FALSE(o.paused);
  CHECK(mail.messages.size() == 1);
}

TEST_CASE("occurrences that never started between the failures do not hide them") {
  // Slow runs: each failure is followed by occurrences skipped for overlap
  // or missed, more of them than failures_before_pause.
  Fixture f("reportd-notices-gaps.db");
  RecordingTransport mail;
  store::StoreThread thread(*f.db);
  FailureNotices notices(thread, unowned(mail), options(2));
  store::Run first = f.finish(RunState::kFailed, "MALFORMED_QUERY: unexpected token");
  CHECK_FALSE(run_sync(notices.run_finished(first, false, 1)).paused);
  for (int i = 0; i < 3; ++i) {
    f.never_started(RunState::kSkipped, "overlap: the previous run of this schedule is still going");
    f.never_started(RunState::kMissed, "missed: not run in time");
  }
  store::Run second = f.finish(RunState::kFailed, "MALFORMED_QUERY: unexpected token");
  CHECK(run_sync(notices.run_finished(second, false, 1)).paused);
  CHECK(mail.messages.size() == 1);
}

TEST_CASE("runs that fail for access send one notice per kind of failure, to owner and operator") {
  Fixture f("reportd-notices-access.db");
  RecordingTransport mail;
  store::StoreThread thread(*f.db);
  FailureNotices notices(thread, unowned(mail), options(0));  // 0: never pause
  const char* kinds[][2] = {
      {"run-as-inactive", "Salesforce refused to run this report as ann@acme.example: deactivated"},
      {"run-as-field-access", "... cannot see the field Account.Description ..."},
      {"burst-not-a-user", "eve@example.com is not an active user of this Salesforce org"},
      {"run-as-inactive", "Salesforce refused to run this report as ann@acme.example: deactivated"},
  };
  std::size_t expected = 0;
  for (const auto& [code, reason] : kinds) {
    for (int i = 0; i < 3; ++i) {  // the same failure again and again: one notice
      store::Run r = f.finish(RunState::kFailed, reason, code);
      NoticeOutcome o = run_sync(notices.run_finished(r, false, 1));
      CHECK(o.error.empty());
      CHECK(o.sent.size() == (i == 0 ? 1u : 0u));
    }
    ++expected;
    REQUIRE(mail.messages.size() == expected);
    CHECK(mail.envelopes.back() == std::vector<std::string>{"owner@example.com", "ops@example.com"});
    CHECK(mail.messages.back().find(code) != std::string::npos);
    CHECK(mail.messages.back().find(reason) != std::string::npos);
  }
  // A run that failed otherwise in between: the next access failure is news.
  (void)f.finish(RunState::kFailed, "MALFORMED_QUERY: unexpected token");
  store::Run again = f.finish(RunState::kFailed, kinds[0][1], kinds[0][0]);
  CHECK(run_sync(notices.run_finished(again, false, 1)).sent.size() == 1);
  CHECK(is_access_failure("burst-ambiguous-user"));
  CHECK_FALSE(is_access_failure("MALFORMED_QUERY"));
}

TEST_CASE("the run that finds the grant revoked sends one re-auth notice") {
  Fixture f("reportd-notices-reauth.db");
  RecordingTransport mail;
  store::StoreThread thread(*f.db);
  FailureNotices notices(thread, unowned(mail), options(0));  // 0: never pause

  store::Run r = f.finish(RunState::kFailed, "salesforce: token: invalid_grant: expired access/refresh token");
  NoticeOutcome o = run_sync(notices.run_finished(r, true, 1));
  CHECK_FALSE(o.paused);
  REQUIRE(mail.messages.size() == 1);
  CHECK(mail.messages[0].find("needs re-authorization") != std::string::npos);
  CHECK(mail.messages[0].find("reportd connections reauth") != std::string::npos);

  // Later runs fail with needs-reauth without marking: no more notices.
  for (int i = 0; i < 5; ++i) {
    store::Run later = f.finish(RunState::kFailed, "connection acme needs re-authorization");
    (void)run_sync(notices.run_finished(later, false, 1));
  }
  CHECK(mail.messages.size() == 1);
  auto s = f.db->get_schedule(f.schedule_id);
  CHECK_FALSE(s->paused);
}

TEST_CASE("a sync that finds the grant revoked mails the operator and the connection's owners") {
  Fixture f("reportd-notices-sync-reauth.db");
  RecordingTransport mail;
  store::StoreThread thread(*f.db);
  FailureNotices notices(thread, unowned(mail), options(0));
  auto conn = f.db->find_connection("acme");
  REQUIRE(conn.ok());
  Result<bool> first = run_sync(mark_needs_reauth(thread, conn->id, "sync acme: invalid_grant"));
  REQUIRE(first.ok());
  CHECK(*first);
  CHECK(f.db->get_connection(conn->id)->status == store::ConnectionStatus::kNeedsReauth);
  CHECK(f.db->get_connection(conn->id)->status_reason == "sync acme: invalid_grant");
  // A run that shared the refused token request marks it again: not newly.
  Result<bool> second = run_sync(mark_needs_reauth(thread, conn->id, "run 7: invalid_grant"));
  REQUIRE(second.ok());
  CHECK_FALSE(*second);
  CHECK(f.db->get_connection(conn->id)->status_reason == "sync acme: invalid_grant");

  NoticeOutcome o = run_sync(notices.sync_marked_needs_reauth(*conn, "sync acme: invalid_grant", 7));
  CHECK(o.error.empty());
  REQUIRE(mail.messages.size() == 1);
  CHECK(mail.envelopes[0] == std::vector<std::string>{"owner@example.com", "ops@example.com"});
  const std::string& m = mail.messages[0];
  CHECK(m.find("Subject: reportd: connection \"acme\" needs re-authorization") != std::string::npos);
  CHECK(m.find("What failed: the sync of its schedule records") != std::string::npos);
  CHECK(m.find("Why: sync acme: invalid_grant") != std::string::npos);
  CHECK(m.find("reportd connections reauth \"acme\" --refresh-token-stdin") != std::string::npos);
  CHECK(reauth_command("acme") ==
        "reportd connections reauth acme --refresh-token-stdin < token-file (or --authorize "
        "--redirect-uri URL)");
}

TEST_CASE("a synced schedule's owner outside the allowed domains gets no notice; the operator reads why") {
  Fixture f("reportd-notices-owner.db");
  RecordingTransport mail;
  store::StoreThread thread(*f.db);
  NoticeOptions o = options(1);
  o.domains.per_connection["acme"] = {"acme.com"};
  FailureNotices notices(thread, unowned(mail), o);
  auto s = f.db->get_schedule(f.schedule_id);
  REQUIRE(s.ok());
  s->origin = store::ScheduleOrigin::kSalesforce;
  s->sf_record_id = "a015g000000001XAAQ";
  s->owner_email = "boss@globex.com";  // Owner.Email of the record, another tenant's domain
  REQUIRE(f.db->update_schedule(*s).ok());
  NoticeOutcome out = run_sync(notices.run_finished(f.finish(RunState::kFailed, "MALFORMED_QUERY"), false, 1));
  CHECK(out.paused);
  REQUIRE(mail.messages.size() == 1);
  CHECK(mail.envelopes[0] == std::vector<std::string>{"ops@example.com"});
  REQUIRE(out.refused.size() == 1);
  CHECK(out.refused[0].find("boss@globex.com") != std::string::npos);
  CHECK(out.refused[0].find("outside those allowed") != std::string::npos);
  CHECK(mail.messages[0].find("This notice was not sent to:") != std::string::npos);

  // Not an address at all: refused the same way, never handed to the relay.
  REQUIRE(f.db->set_schedule_paused(f.schedule_id, false, "").ok());
  s->owner_email = "boss@acme.com>, x@globex.com";
  REQUIRE(f.db->update_schedule(*s).ok());
  out = run_sync(notices.run_finished(f.finish(RunState::kFailed, "MALFORMED_QUERY"), false, 1));
  REQUIRE(mail.messages.size() == 2);
  CHECK(mail.envelopes[1] == std::vector<std::string>{"ops@example.com"});
  CHECK(out.refused.size() == 1);
}

TEST_CASE("successes and skips send nothing; no relay is reported, not thrown") {
  Fixture f("reportd-notices-none.db");
  store::StoreThread thread(*f.db);
  FailureNotices notices(thread, std::shared_ptr<deliver::MailTransport>(), options(1));
  store::Run ok = f.finish(RunState::kSucceeded, "");
  CHECK(run_sync(notices.run_finished(ok, false, 1)).sent.empty());
  store::Run bad = f.finish(RunState::kFailed, "MALFORMED_QUERY");
  NoticeOutcome o = run_sync(notices.run_finished(bad, false, 1));
  CHECK(o.paused);
  CHECK(o.error.find("[smtp]") != std::string::npos);
}

}  // namespace
}  // namespace reportd::jobs
