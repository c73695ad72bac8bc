#include "jobs/deliver/email_delivery.hpp"

#include <doctest/doctest.h>

#include <latch>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "coro_util.hpp"
#include "jobs/deliver/files_delivery.hpp"
#include "jobs/render/csv_renderer.hpp"
#include "jobs/render/sample_table.hpp"
#include "store/sqlite_store.hpp"

namespace reportd::deliver {
namespace {

namespace asio = boost::asio;
using testing::run_sync;

// Records each message; answers from a script (default: accepted). Like
// the real transport, it awaits Envelope::at_dot before any answer to the
// final dot: an accepted message or an unknown outcome.
class FakeTransport final : public MailTransport {
 public:
  std::vector<std::string> sent_to;
  std::vector<std::string> messages;
  std::vector<Result<SendReport>> script;  // consumed front first
  std::uint64_t max = 1 << 20;
  int dots = 0;  // final dots "written"

  asio::awaitable<Result<SendReport>> send(Envelope env, MessageSource& message) override {
    sent_to.push_back(env.to.at(0));
    messages.push_back(read_all(message));
    const bool dot = script.empty() || script.front().ok() || script.front().status().code() == "smtp-unknown-outcome";
    if (dot && env.at_dot) {
      ++dots;
      if (Status st = co_await env.at_dot(); !st.ok()) co_return st;
    }
    if (!script.empty()) {
      Result<SendReport> r = std::move(script.front());
      script.erase(script.begin());
      co_return r;
    }
    SendReport rep;
    rep.recipients.push_back(RecipientResult{env.to.at(0), RcptOutcome::kAccepted, 250, "250 ok"});
    co_return rep;
  }
  std::uint64_t max_message_bytes() const override { return max; }
};

class FakeApi final : public salesforce::Api {
 public:
  std::vector<salesforce::FileUpload> uploads;
  int fail_next = 0;
  asio::awaitable<Status> query(std::string, bool, table::RowSink&) override { co_return Status(); }
  asio::awaitable<Status> run_report(std::string, table::RowSink&) override { co_return Status(); }
  asio::awaitable<Status> bulk_query(std::string, table::RowSink&) override { co_return Status(); }
  asio::awaitable<Status> patch_record(std::string, std::string, std::string) override { co_return Status(); }
  asio::awaitable<Result<salesforce::UploadResult>> upload_file(salesforce::FileUpload f) override {
    if (fail_next > 0) {
      --fail_next;
      co_return Status::error(ErrorKind::kTransient, "salesforce: 503", "SERVER_UNAVAILABLE");
    }
    uploads.push_back(f);
    std::string n = std::to_string(uploads.size());
    co_return salesforce::UploadResult{"068" + n, "069" + n};
  }
  std::optional<salesforce::ApiUsage> api_usage() const override { return std::nullopt; }
};

struct Fixture {
  std::unique_ptr<store::SqliteStore> db;
  std::unique_ptr<store::StoreThread> thread;  // after db: stopped before it closes
  std::unique_ptr<DeliveryLedger> book;  // the ledger as deliveries see it
  std::int64_t run_id = 0;
  std::unique_ptr<render::Scratch> scratch;
  render::HtmlSummary summary{2, nullptr};

  explicit Fixture(std::uint64_t rows = 200) {
    auto d = store::SqliteStore::open(":memory:");
    REQUIRE(d.ok());
    db = std::move(*d);
    store::Connection c;
    c.name = "c";
    c.login_url = "https://login.salesforce.com";
    c.client_id = "x";
    auto cid = db->add_connection(c, [](store::Connection w) -> Result<store::Connection> { return w; });
    REQUIRE(cid.ok());
    store::Schedule s;
    s.name = "s";
    s.connection_id = *cid;
    s.cron = "0 8 * * *";
    auto sid = db->add_schedule(s);
    REQUIRE(sid.ok());
    auto run = db->claim_occurrence(*sid, 1700000000, store::RunState::kRunning, "", 1);
    REQUIRE((run.ok() && run->has_value()));
    run_id = **run;
    thread = std::make_unique<store::StoreThread>(*db);
    book = std::make_unique<DeliveryLedger>(*thread);
    auto sc = render::Scratch::open({});
    REQUIRE(sc.ok());
    scratch = std::move(*sc);
    render::CsvRenderer csv(*scratch, {});
    table::TeeSink tee({&csv, &summary});
    REQUIRE(render::emit_sample_table(tee, rows).ok());
  }

  EmailJob job(std::vector<std::string> to) {
    EmailJob j;
    j.run_id = run_id;
    j.occurrence_key = "1@1700000000";
    j.recipients = std::move(to);
    j.from = {"Reports", "reports@example.com"};
    j.subject = "Pipeline";
    j.now_ms = 1700000000000;
    j.summary.schedule_name = "Pipeline";
    j.tables = &summary;
    auto refs = output_refs(*scratch);
    REQUIRE(refs.ok());
    j.outputs = *refs;
    return j;
  }

  std::map<std::string, store::Delivery> ledger() {
    std::map<std::string, store::Delivery> m;
    auto rows = db->list_deliveries(run_id);
    REQUIRE(rows.ok());
    for (auto& d : *rows) m[std::string(store::to_string(d.channel)) + ":" + d.recipient] = d;
    return m;
  }
};

TEST_CASE("email: each recipient gets one message, recorded sent with its Message-ID") {
  Fixture f;
  FakeTransport t;
  auto r = run_sync(deliver_email(*f.book, t, *f.scratch, f.job({"a@example.org", "b@example.org"})));
  REQUIRE(r.ok());
  CHECK(r->sent == 2);
  CHECK(r->packaging == Packaging::kAttached);
  auto l = f.ledger();
  CHECK(l["smtp:a@example.org"].state == store::DeliveryState::kSent);
  CHECK(l["smtp:a@example.org"].message_id ==
        derive_message_id("1@1700000000", "a@example.org", "example.com"));
  CHECK(t.messages[0].find("Message-ID: " + l["smtp:a@example.org"].message_id) != std::string::npos);
}

TEST_CASE("email: a retry skips recipients already sent") {
  Fixture f;
  FakeTransport t;
  t.script.push_back(SendReport{});  // placeholder replaced below
  t.script[0] = Status::error(ErrorKind::kTransient, "smtp: 451", "smtp-451");
  auto first = run_sync(deliver_email(*f.book, t, *f.scratch, f.job({"a@example.org", "b@example.org"})));
  CHECK(first.status().kind() == ErrorKind::kTransient);
  CHECK(f.ledger()["smtp:a@example.org"].state == store::DeliveryState::kPending);
  CHECK(f.ledger()["smtp:b@example.org"].state == store::DeliveryState::kSent);
  auto second = run_sync(deliver_email(*f.book, t, *f.scratch, f.job({"a@example.org", "b@example.org"})));
  REQUIRE(second.ok());
  CHECK(second->already_sent == 1);
  CHECK(t.sent_to == std::vector<std::string>{"a@example.org", "b@example.org", "a@example.org"});
}

TEST_CASE("email: an unknown outcome after the dot is resent once, never a third time (RFC 1047)") {
  Fixture f;
  FakeTransport t;
  auto unknown = [] {
    return Status::error(ErrorKind::kTransient, "smtp: end of data: reset (after the final dot)",
                         "smtp-unknown-outcome");
  };
  // A 451 before the dot: no copy can be out, the count stays at zero.
  t.script.push_back(Status::error(ErrorKind::kTransient, "smtp: RCPT TO: 451", "smtp-451"));
  t.script.push_back(unknown());
  t.script.push_back(unknown());
  auto job = [&] { return f.job({"a@example.org"}); };
  CHECK(run_sync(deliver_email(*f.book, t, *f.scratch, job())).status().kind() == ErrorKind::kTransient);
  CHECK(f.ledger()["smtp:a@example.org"].error == "smtp-451");
  CHECK(run_sync(deliver_email(*f.book, t, *f.scratch, job())).status().code() == "smtp-unknown-outcome");
  CHECK(f.ledger()["smtp:a@example.org"].state == store::DeliveryState::kSending);
  CHECK(f.ledger()["smtp:a@example.org"].error == "smtp-unknown-outcome");
  CHECK(run_sync(deliver_email(*f.book, t, *f.scratch, job())).status().kind() == ErrorKind::kTransient);
  CHECK(f.ledger()["smtp:a@example.org"].error == "smtp-unknown-outcome-twice");
  // Two copies may be out: the third attempt sends nothing and fails, loudly.
  const std::size_t before = t.sent_to.size();
  auto third = run_sync(deliver_email(*f.book, t, *f.scratch, job()));
  CHECK(third.status().kind() == ErrorKind::kPermanent);
  CHECK(third.status().code() == "smtp-unknown-outcome-twice");
  CHECK(t.sent_to.size() == before);
  CHECK(f.ledger()["smtp:a@example.org"].state == store::DeliveryState::kFailed);
  CHECK(t.sent_to.size() == 3);  // one stopped before its dot
  CHECK(t.dots == 2);
  CHECK(run_sync(deliver_email(*f.book, t, *f.scratch, job())).status().code() == "smtp-unknown-outcome-twice");
}

TEST_CASE("email: a sent recipient's final dot was recorded before it went, and timed") {
  Fixture f;
  FakeTransport t;
  auto r = run_sync(deliver_email(*f.book, t, *f.scratch, f.job({"a@example.org"})));
  REQUIRE(r.ok());
  CHECK(t.dots == 1);
  REQUIRE(r->sent_commit_windows.size() == 1);
  const SentTiming& w = r->sent_commit_windows[0];
  CHECK(w.message_id == f.ledger()["smtp:a@example.org"].message_id);
  CHECK(w.dot_at_us > 0);
  CHECK(w.read_at_us >= w.dot_at_us);
  CHECK(w.commit.count() >= 0);
  CHECK(f.ledger()["smtp:a@example.org"].error.empty());
}

TEST_CASE("email: a recipient outside the allowed domains is refused in the ledger, never sent") {
  Fixture f;
  FakeTransport t;
  EmailJob job = f.job({"a@example.org", "leak@globex.com"});
  job.domains = DomainPolicy{{"example.org"}, true};
  auto r = run_sync(deliver_email(*f.book, t, *f.scratch, job));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().kind() == ErrorKind::kPermanent);
  CHECK(r.status().code() == "recipient-not-allowed");
  CHECK(r.status().message().find("1 of 2 recipients refused") != std::string::npos);
  CHECK(r.status().message().find("leak@globex.com") != std::string::npos);
  CHECK(t.sent_to == std::vector<std::string>{"a@example.org"});
  auto l = f.ledger();
  CHECK(l["smtp:a@example.org"].state == store::DeliveryState::kSent);
  CHECK(l["smtp:leak@globex.com"].state == store::DeliveryState::kRefused);
  CHECK(l["smtp:leak@globex.com"].error.rfind("recipient-not-allowed: ", 0) == 0);
  // A retry sends nothing more and still says so.
  auto again = run_sync(deliver_email(*f.book, t, *f.scratch, job));
  CHECK(again.status().code() == "recipient-not-allowed");
  CHECK(t.sent_to.size() == 1);
}

TEST_CASE("email: a synced schedule with no allowed domains mails no one") {
  Fixture f;
  FakeTransport t;
  EmailJob job = f.job({"a@example.org"});
  job.domains = DomainPolicy{{}, true};
  auto r = run_sync(deliver_email(*f.book, t, *f.scratch, job));
  CHECK(r.status().code() == "no-allowed-domains");
  CHECK(t.sent_to.empty());
  CHECK(f.ledger()["smtp:a@example.org"].state == store::DeliveryState::kRefused);
}

TEST_CASE("email: a relay problem (auth) stops at once and leaves rows retryable") {
  Fixture f;
  FakeTransport t;
  t.script.push_back(Status::error(ErrorKind::kAuth, "smtp: AUTH: 535", "smtp-535"));
  auto r = run_sync(deliver_email(*f.book, t, *f.scratch, f.job({"a@example.org", "b@example.org"})));
  CHECK(r.status().kind() == ErrorKind::kAuth);
  CHECK(t.sent_to.size() == 1);
  CHECK(f.ledger()["smtp:a@example.org"].state == store::DeliveryState::kPending);
}

TEST_CASE("email: too big to attach is zipped") {
  Fixture f(3000);
  FakeTransport t;
  t.max = f.scratch->outputs()[0]->size();  // the raw CSV cannot fit once base64-encoded
  auto r = run_sync(deliver_email(*f.book, t, *f.scratch, f.job({"a@example.org"})));
  REQUIRE(r.ok());
  CHECK(r->packaging == Packaging::kZipped);
  CHECK(t.messages[0].find("filename=\"report.zip\"") != std::string::npos);
  CHECK(t.messages[0].find("filename=\"report.csv\"") == std::string::npos);
  CHECK(t.messages[0].find("zipped to fit") != std::string::npos);
}

asio::awaitable<void> deliver_into(DeliveryLedger* ledger, MailTransport* t, render::Scratch* scratch, EmailJob job,
                                   std::optional<Result<EmailResult>>* out) {
  auto send = deliver_email(*ledger, *t, *scratch, std::move(job));
  out->emplace(co_await std::move(send));
}

TEST_CASE("email: the zip's deflate runs on the job's cpu thread, off the event loop") {
  Fixture f(3000);
  FakeTransport t;
  t.max = f.scratch->outputs()[0]->size();
  store::OffloadThread cpu;
  std::latch release(1);
  asio::post(cpu.executor(), [&release] { release.wait(); });  // the cpu thread is busy
  EmailJob job = f.job({"a@example.org"});
  job.cpu = &cpu;
  asio::io_context io;
  std::optional<Result<EmailResult>> r;
  asio::co_spawn(io, deliver_into(f.book.get(), &t, f.scratch.get(), std::move(job), &r),
                 [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
  io.poll();  // the delivery waits for the zip, queued behind the busy cpu thread
  CHECK(cpu.outstanding() == 1);
  CHECK(t.messages.empty());
  release.count_down();
  io.run();
  REQUIRE(r.has_value());
  REQUIRE(r->ok());
  CHECK((*r)->packaging == Packaging::kZipped);
  CHECK(t.messages[0].find("filename=\"report.zip\"") != std::string::npos);
}

TEST_CASE("email: too big even zipped goes to Salesforce Files, once, and the mail links it") {
  Fixture f(3000);
  FakeTransport t;
  t.max = 12 * 1024;
  FakeApi api;
  auto job = f.job({"a@example.org", "b@example.org"});
  job.files_api = &api;
  job.files_target = "a0B000000000001";
  job.instance_url = "https://acme.my.salesforce.com";
  t.script.push_back(Status::error(ErrorKind::kTransient, "smtp: 451", "smtp-451"));
  auto r1 = run_sync(deliver_email(*f.book, t, *f.scratch, job));
  CHECK(r1.status().kind() == ErrorKind::kTransient);
  auto r2 = run_sync(deliver_email(*f.book, t, *f.scratch, job));
  REQUIRE(r2.ok());
  CHECK(r2->packaging == Packaging::kFilesLink);
  CHECK(api.uploads.size() == 1);  // not re-uploaded by the retry
  CHECK(api.uploads[0].first_publish_location_id == "a0B000000000001");
  CHECK(api.uploads[0].bytes.size() == f.scratch->outputs()[0]->size());
  CHECK(f.ledger()["files-link:a0B000000000001/report.csv"].content_document_id == "0691");
  CHECK(t.messages.back().find("attachment;") == std::string::npos);
  std::string unfolded = t.messages.back();  // undo quoted-printable soft breaks
  for (auto p = unfolded.find("=\r\n"); p != std::string::npos; p = unfolded.find("=\r\n")) unfolded.erase(p, 3);
  CHECK(unfolded.find("https://acme.my.salesforce.com/lightning/r/ContentDocument/0691/view") != std::string::npos);
}

TEST_CASE("email: too big with no Files fallback fails with a clear reason, sends nothing") {
  Fixture f(3000);
  FakeTransport t;
  t.max = 12 * 1024;
  auto r = run_sync(deliver_email(*f.book, t, *f.scratch, f.job({"a@example.org"})));
  CHECK(r.status().kind() == ErrorKind::kLimit);
  CHECK(r.status().message().find("over the mail limit") != std::string::npos);
  CHECK(t.messages.empty());
}

TEST_CASE("files: each output becomes a ContentVersion on the target, recorded in the ledger") {
  Fixture f;
  FakeApi api;
  api.fail_next = 1;
  FilesJob job;
  job.run_id = f.run_id;
  job.target_record_id = "001000000000001";
  const auto& out = f.scratch->outputs().at(0);
  job.outputs.push_back({out->filename(), out->content_type(), *out->view()});
  auto r1 = run_sync(deliver_files(*f.book, api, job, store::DeliveryChannel::kFiles));
  CHECK(r1.status().kind() == ErrorKind::kTransient);
  CHECK(f.ledger()["files:001000000000001/report.csv"].state == store::DeliveryState::kPending);
  auto r2 = run_sync(deliver_files(*f.book, api, job, store::DeliveryChannel::kFiles));
  REQUIRE(r2.ok());
  auto r3 = run_sync(deliver_files(*f.book, api, job, store::DeliveryChannel::kFiles));
  REQUIRE(r3.ok());
  CHECK(api.uploads.size() == 1);
  CHECK(*r3 == std::vector<std::string>{"0691"});
  auto row = f.ledger()["files:001000000000001/report.csv"];
  CHECK(row.state == store::DeliveryState::kSent);
  CHECK(row.content_document_id == "0691");
}

}  // namespace
}  // namespace reportd::deliver
