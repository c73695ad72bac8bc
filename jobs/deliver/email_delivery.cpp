#include "jobs/deliver/email_delivery.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <utility>

#include "jobs/deliver/mime_source.hpp"
#include "jobs/deliver/zip_writer.hpp"
#include "store/leases.hpp"
#include "table/wipe.hpp"

namespace reportd::deliver {
namespace {

namespace asio = boost::asio;
constexpr std::uint64_t kHeaderAllowance = 8 * 1024;
constexpr std::string_view kZipName = "report.zip";
constexpr std::string_view kZipType = "application/zip";
constexpr std::string_view kZippedNote = "The report was zipped to fit the mail size limit.";
constexpr std::string_view kTooBigNote = "The report was too large to email, even zipped.";
// A `sending` row's error, committed right before the final dot: the relay
// may hold one copy (RFC 1047), or two. A row found with two is not sent a
// third time: it is recorded failed with kUnconfirmedTwice.
constexpr std::string_view kUnconfirmed = "smtp-unknown-outcome";
constexpr std::string_view kUnconfirmedTwice = "smtp-unknown-outcome-twice";

std::int64_t wall_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

std::vector<std::uint64_t> sizes_of(const std::vector<OutputRef>& outs) {
  std::vector<std::uint64_t> s;
  for (const auto& o : outs) s.push_back(o.bytes.size());
  return s;
}

struct Content {
  Content() = default;
  Content(Content&&) = default;
  Content& operator=(Content&&) = default;
  ~Content() { bodies.wipe(); }
  Packaging packaging = Packaging::kAttached;
  std::vector<OutputRef> attachments;
  render::EmailBodies bodies;
};

render::EmailBodies bodies_for(const EmailJob& job, const std::vector<OutputRef>& attached,
                               std::vector<std::string> links, std::vector<std::string> notes) {
  render::SummaryInput in = job.summary;
  in.attachments.clear();
  for (const auto& a : attached) in.attachments.push_back({a.filename, a.bytes.size()});
  in.links = std::move(links);
  for (auto& n : notes) in.notes.push_back(std::move(n));
  render::HtmlSummary none(0, nullptr);
  return render::render_bodies(in, job.tables != nullptr ? *job.tables : none);
}

// Attached, zipped, or uploaded and linked; an error when none fits.
asio::awaitable<Result<Content>> choose_content(DeliveryLedger& ledger, render::Scratch& scratch,
                                                const EmailJob& job, std::uint64_t max) {
  Content c;
  c.bodies = bodies_for(job, job.outputs, std::vector<std::string>(), std::vector<std::string>());
  std::uint64_t body = c.bodies.html.size() * 2 + c.bodies.text.size() * 2;
  std::uint64_t plain = estimate_message_bytes(sizes_of(job.outputs), body);
  if (plain <= max) {
    c.attachments = job.outputs;
    co_return c;
  }
  std::vector<ZipEntry> entries;
  std::uint64_t raw = 0;
  for (const auto& o : job.outputs) {
    entries.push_back(ZipEntry{o.filename, o.bytes});
    raw += o.bytes.size();
  }
  std::optional<Result<render::ScratchFile*>> zip;
  auto make_zip = [&scratch, &entries] { return zip_outputs(scratch, entries, std::string(kZipName)); };
  if (job.cpu != nullptr) {
    auto zipping = job.cpu->run(std::move(make_zip));
    zip.emplace(co_await std::move(zipping));
  } else {
    zip.emplace(make_zip());
  }
  if (!zip->ok()) co_return zip->status();
  auto zbytes = (**zip)->view();
  if (!zbytes.ok()) co_return zbytes.status();
  // No braced lists in coroutine frames: GCC 12 miscompiles their arrays.
  std::vector<OutputRef> zipped_list(1, OutputRef{std::string(kZipName), std::string(kZipType), *zbytes});
  std::vector<std::string> notes(1, std::string(kZippedNote));
  c.bodies.wipe();
  c.bodies = bodies_for(job, zipped_list, std::vector<std::string>(), std::move(notes));
  std::vector<std::uint64_t> zsize(1, zbytes->size());
  if (estimate_message_bytes(zsize, body) <= max) {
    c.packaging = Packaging::kZipped;
    c.attachments = std::move(zipped_list);
    co_return c;
  }
  std::string sizes = "the report is " + std::to_string(raw) + " bytes (" + std::to_string(zbytes->size()) +
                      " zipped), over the mail limit of " + std::to_string(max) + " bytes";
  if (job.files_api == nullptr) {
    co_return Status::error(ErrorKind::kLimit,
                            "email: " + sizes + "; set a Files target on the schedule to send a link instead, "
                            "or raise smtp.max_message_bytes if the relay allows it",
                            "too-large");
  }
  FilesJob fj;
  fj.run_id = job.run_id;
  fj.target_record_id = job.files_target;
  fj.outputs = job.outputs;
  fj.now_ms = job.now_ms;
  auto upload = deliver_files(ledger, *job.files_api, std::move(fj), store::DeliveryChannel::kFilesLink);
  auto ids = co_await std::move(upload);
  if (!ids.ok()) co_return Status(ids.status()).with_context("email: " + sizes + "; Files fallback");
  std::vector<std::string> links;
  for (std::size_t i = 0; i < ids->size(); ++i) {
    links.push_back(job.outputs[i].filename + ": " + job.instance_url + "/lightning/r/ContentDocument/" +
                    (*ids)[i] + "/view");
  }
  c.packaging = Packaging::kFilesLink;
  std::vector<std::string> too_big(1, std::string(kTooBigNote));
  c.bodies.wipe();
  c.bodies = bodies_for(job, std::vector<OutputRef>(), std::move(links), std::move(too_big));
  co_return c;
}

// What the recipients came to, as deliver_one() counts them.
struct Tally {
  EmailResult result;
  int refused = 0;   // refused for good by the relay (5xx)
  int deferred = 0;  // worth retrying
  std::string last_code;
  int not_allowed = 0;                   // refused by the domain check
  int unconfirmed_twice = 0;             // not sent a third time (kUnconfirmedTwice)
  std::optional<Status> first_not_allowed;
};

// Records what the send came to in `d`. True when the relay, not the
// recipient, is at fault: the row stays retryable and the delivery stops.
bool record_outcome(store::Delivery& d, const Result<SendReport>& sent) {
  if (sent.ok() && !sent->recipients.empty()) {
    const RecipientResult& r = sent->recipients.front();
    d.error.clear();
    if (r.outcome != RcptOutcome::kAccepted) d.error = "smtp-" + std::to_string(r.code);
    d.state = r.outcome == RcptOutcome::kAccepted    ? store::DeliveryState::kSent
              : r.outcome == RcptOutcome::kPermanent ? store::DeliveryState::kFailed
                                                     : store::DeliveryState::kPending;
    return false;
  }
  if (sent.ok()) {
    d.state = store::DeliveryState::kPending;
    d.error = "smtp-no-reply";
    return false;
  }
  const Status& e = sent.status();
  d.error = e.code();
  // kLimit: the relay's SIZE is below smtp.max_message_bytes; lower the setting.
  if (e.kind() == ErrorKind::kAuth || e.kind() == ErrorKind::kInvalidArgument || e.kind() == ErrorKind::kLimit ||
      e.code() == "smtp-tls" || e.code() == "smtp-no-starttls" || e.code() == "smtp-tls-required") {
    d.state = store::DeliveryState::kPending;
    return true;
  }
  // Unknown outcome stays "sending": the retry resends with the same Message-ID.
  d.state = e.code() == kUnconfirmed            ? store::DeliveryState::kSending
            : e.kind() == ErrorKind::kTransient ? store::DeliveryState::kPending
                                                : store::DeliveryState::kFailed;
  return false;
}

// As record_outcome(), but the count of unconfirmed dots (kUnconfirmed*)
// survives an outcome that leaves the row retryable (a 4xx, a dropped
// connection): those copies may be out.
bool record_send(store::Delivery& d, const Result<SendReport>& sent) {
  const std::string mark = d.error == kUnconfirmed || d.error == kUnconfirmedTwice ? d.error : std::string();
  const bool relay_fault = record_outcome(d, sent);
  if (!mark.empty() && (d.state == store::DeliveryState::kPending || d.state == store::DeliveryState::kSending)) {
    d.error = mark;
  }
  return relay_fault;
}

// Envelope::at_dot for one recipient: one more unconfirmed dot, committed
// before the dot goes out (after the body: a kill before it sent no copy).
asio::awaitable<Status> mark_dot(DeliveryLedger& ledger, store::Delivery& d, std::int64_t& dot_at_us) {
  d.error = std::string(d.error == kUnconfirmed ? kUnconfirmedTwice : kUnconfirmed);
  auto save = ledger.update_first(d);
  Status saved = co_await std::move(save);
  dot_at_us = wall_us();
  if (!saved.ok()) co_return std::move(saved).with_context("email: ledger");
  co_return Status();
}

// The message to one recipient, streamed: the attachments are base64-encoded
// chunk by chunk from scratch as the transport reads them, never held whole.
Result<std::unique_ptr<MimeSource>> message_for(const EmailJob& job, const Content& content, const std::string& rcpt,
                                                std::string message_id) {
  MailMessage m;
  m.from = job.from;
  m.to.push_back(Address{std::string(), rcpt});
  m.subject = job.subject;
  m.message_id = std::move(message_id);
  m.date_ms = job.now_ms;
  m.text = content.bodies.text;
  m.html = content.bodies.html;
  for (const auto& a : content.attachments) m.attachments.push_back(Attachment{a.filename, a.content_type, a.bytes});
  auto mime = MimeSource::create(m);
  // Copies of the bodies: the planned pieces hold them now.
  wipe(m.text);
  wipe(m.html);
  return mime;
}

// A recipient outside the allowed domains: recorded refused, never sent.
// Checked here, where the mail leaves: the list may have narrowed since the
// schedule was written.
asio::awaitable<Status> refuse(DeliveryLedger& ledger, store::Delivery d, Status why, std::int64_t now_ms,
                               Tally& tally) {
  ++tally.not_allowed;
  if (!tally.first_not_allowed) tally.first_not_allowed = why;
  if (d.state == store::DeliveryState::kRefused) co_return Status();
  d.state = store::DeliveryState::kRefused;
  d.error = why.code() + ": " + why.message();
  d.updated_at_ms = now_ms;
  auto save = ledger.update(std::move(d));
  Status saved = co_await std::move(save);
  if (!saved.ok()) co_return std::move(saved).with_context("email: ledger");
  co_return Status();
}

// A recipient whose final dot went out twice unconfirmed: the relay may hold
// two copies, so no third is sent (DESIGN.md §4.4 allows one duplicate). The
// row is recorded failed and the run fails saying why.
asio::awaitable<Status> not_a_third_time(DeliveryLedger& ledger, store::Delivery d, std::int64_t now_ms,
                                         Tally& tally) {
  ++tally.unconfirmed_twice;
  tally.last_code = std::string(kUnconfirmedTwice);
  d.state = store::DeliveryState::kFailed;
  d.updated_at_ms = now_ms;
  auto save = ledger.update(std::move(d));
  Status saved = co_await std::move(save);
  if (!saved.ok()) co_return std::move(saved).with_context("email: ledger");
  co_return Status();
}

// One recipient through the ledger: pending → sending → sent | failed, each
// state committed before the next step. An error stops the whole delivery.
asio::awaitable<Status> deliver_one(DeliveryLedger& ledger, MailSession& session, std::uint64_t max,
                                    const EmailJob& job, const Content& content, std::string rcpt, Tally& tally) {
  std::string message_id = derive_message_id(job.occurrence_key, rcpt, domain_of(job.from.email));
  auto ensure = ledger.ensure(job.run_id, store::DeliveryChannel::kSmtp, rcpt, message_id, job.now_ms);
  Result<store::Delivery> row = co_await std::move(ensure);
  if (!row.ok()) co_return Status(row.status()).with_context("email: ledger");
  store::Delivery d = std::move(row).value();
  if (d.state == store::DeliveryState::kSent) {
    ++tally.result.already_sent;
    co_return Status();
  }
  if (Status allowed = check_recipient(rcpt, job.domains); !allowed.ok()) {
    auto refusing = refuse(ledger, std::move(d), std::move(allowed), job.now_ms, tally);
    co_return co_await std::move(refusing);
  }
  if (d.state == store::DeliveryState::kFailed) {  // refused for good, or stopped, by an earlier attempt
    ++(d.error == kUnconfirmedTwice ? tally.unconfirmed_twice : tally.refused);
    tally.last_code = d.error;
    co_return Status();
  }
  if (d.error == kUnconfirmedTwice) {
    auto stopping = not_a_third_time(ledger, std::move(d), job.now_ms, tally);
    co_return co_await std::move(stopping);
  }
  if (!d.message_id.empty()) message_id = d.message_id;
  d.message_id = message_id;  // a row made before (a burst's) keeps it too
  auto mime = message_for(job, content, rcpt, message_id);
  if (!mime.ok()) co_return Status(mime.status()).with_context("email");
  MessageSource& message = **mime;
  if (message.size() > max) {
    co_return Status::error(ErrorKind::kLimit, "email: message of " + std::to_string(message.size()) +
                                                   " bytes is over smtp.max_message_bytes", "too-large");
  }
  d.state = store::DeliveryState::kSending;
  d.updated_at_ms = job.now_ms;
  auto sending = ledger.update(d);
  if (Status st = co_await std::move(sending); !st.ok()) co_return std::move(st).with_context("email: ledger");
  if (job.may_send && !job.may_send()) {
    // Paused or cut off past the lease's margin since `sending` committed:
    // another node may be taking the run over and will send this one.
    co_return store::lease_lost(job.run_id, "no longer surely held when the mail was to leave")
        .with_context("email");
  }

  Envelope env;  // built apart: GCC 12 miscompiles init lists inside co_await
  env.from = job.from.email;
  env.to.push_back(rcpt);
  env.before_dot = job.may_send;  // a pause during the body is caught before the dot
  std::int64_t dot_at_us = 0;
  env.at_dot = [&ledger, &d, &dot_at_us] { return mark_dot(ledger, d, dot_at_us); };
  auto send = session.send(std::move(env), message);
  Result<SendReport> sent = co_await std::move(send);
  const auto answered = std::chrono::steady_clock::now();  // the relay's reply to the final dot, just read
  const std::int64_t read_at_us = wall_us();
  const bool relay_fault = record_send(d, sent);
  d.updated_at_ms = job.now_ms;
  // A `sent` goes ahead of other runs' store work: until it is committed, a
  // kill makes a duplicate.
  WriteTimes times;
  auto save = d.state == store::DeliveryState::kSent ? ledger.update_first(d, &times) : ledger.update(d);
  Status saved = co_await std::move(save);
  const auto resumed = std::chrono::steady_clock::now();
  if (relay_fault) co_return Status(sent.status()).with_context("email");
  if (!saved.ok()) co_return std::move(saved).with_context("email: ledger");
  if (d.state == store::DeliveryState::kSent) {
    ++tally.result.sent;
    using us = std::chrono::microseconds;
    tally.result.sent_commit_windows.push_back(SentTiming{
        message_id, dot_at_us, read_at_us, std::chrono::duration_cast<us>(times.committed - answered),
        std::chrono::duration_cast<us>(times.started - answered),
        std::chrono::duration_cast<us>(times.committed - times.started),
        std::chrono::duration_cast<us>(resumed - times.committed)});
  } else if (d.state == store::DeliveryState::kFailed) ++tally.refused;
  else ++tally.deferred;
  if (d.state != store::DeliveryState::kSent) tally.last_code = d.error;
  co_return Status();
}

// Ok, or the error the recipients' outcomes come to (see deliver_email()).
Result<EmailResult> outcome(const Tally& t, std::size_t n) {
  if (t.first_not_allowed && t.deferred == 0) {
    return Status::error(ErrorKind::kPermanent,
                         "email: " + std::to_string(t.not_allowed) + " of " + std::to_string(n) +
                             " recipients refused, not sent: " + t.first_not_allowed->message() +
                             (t.result.sent + t.result.already_sent > 0 ? "; the others got the report" : ""),
                         t.first_not_allowed->code());
  }
  if (t.deferred > 0) {
    return Status::error(ErrorKind::kTransient,
                         "email: " + std::to_string(t.deferred) + " of " + std::to_string(n) +
                             " recipients deferred (" + t.last_code + "); will retry",
                         t.last_code);
  }
  if (t.unconfirmed_twice > 0) {
    return Status::error(ErrorKind::kPermanent,
                         "email: " + std::to_string(t.unconfirmed_twice) + " of " + std::to_string(n) +
                             " recipients not sent a third time: the relay may hold two copies already "
                             "(its answer to the final dot was lost twice)",
                         std::string(kUnconfirmedTwice));
  }
  if (t.refused > 0) {
    return Status::error(ErrorKind::kPermanent,
                         "email: " + std::to_string(t.refused) + " of " + std::to_string(n) +
                             " recipients refused (" + t.last_code + ")",
                         t.last_code);
  }
  return t.result;
}

}  // namespace

std::uint64_t estimate_message_bytes(const std::vector<std::uint64_t>& sizes, std::uint64_t body_bytes) {
  std::uint64_t total = kHeaderAllowance + body_bytes;
  for (auto n : sizes) {
    std::uint64_t b64 = (n + 2) / 3 * 4;
    total += b64 + b64 / 76 * 2 + 2 + 1024;  // line ends, part headers
  }
  return total;
}

asio::awaitable<Result<EmailResult>> deliver_email(DeliveryLedger& ledger, MailTransport& transport,
                                                   render::Scratch& scratch, EmailJob job) {
  for (const auto& o : job.outputs) {
    if (o.bytes.empty()) {
      co_return Status::error(ErrorKind::kInternal, "email: output " + o.filename + " is empty; not sending");
    }
  }
  // No recipient may be mailed: nothing is packaged (or uploaded to Files).
  bool any_allowed = std::any_of(job.recipients.begin(), job.recipients.end(),
                                 [&](const std::string& r) { return check_recipient(r, job.domains).ok(); });
  Result<Content> content = Content();
  if (any_allowed) {
    auto choose = choose_content(ledger, scratch, job, transport.max_message_bytes());
    content = co_await std::move(choose);
  }
  if (!content.ok()) co_return content.status();

  Tally tally;
  tally.result.packaging = content->packaging;
  // One relay connection for all the recipients (RSET between): each is
  // recorded sent as soon as the relay accepted its message, before QUIT.
  std::unique_ptr<MailSession> session = transport.session();
  for (const auto& rcpt : job.recipients) {
    auto one = deliver_one(ledger, *session, transport.max_message_bytes(), job, *content, rcpt, tally);
    if (Status st = co_await std::move(one); !st.ok()) co_return st;
  }
  auto closing = session->close();
  co_await std::move(closing);
  co_return outcome(tally, job.recipients.size());
}

}  // namespace reportd::deliver
