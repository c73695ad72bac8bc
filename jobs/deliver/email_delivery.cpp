#include "jobs/deliver/email_delivery.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>

#include "jobs/deliver/mime_source.hpp"
#include "jobs/deliver/zip_writer.hpp"
#include "table/wipe.hpp"

namespace reportd::deliver {
namespace {

namespace asio = boost::asio;
constexpr std::uint64_t kHeaderAllowance = 8 * 1024;
constexpr std::string_view kSmtpChannel = "smtp";
constexpr std::string_view kLinkChannel = "files-link";
constexpr std::string_view kZipName = "report.zip";
constexpr std::string_view kZipType = "application/zip";
constexpr std::string_view kZippedNote = "The report was zipped to fit the mail size limit.";
constexpr std::string_view kTooBigNote = "The report was too large to email, even zipped.";

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
asio::awaitable<Result<Content>> choose_content(store::Store& store, BlockingRunner& runner,
                                                render::Scratch& scratch, const EmailJob& job,
                                                std::uint64_t max) {
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
  auto make_zip = [&] { zip.emplace(zip_outputs(scratch, entries, std::string(kZipName))); };
  if (job.cpu != nullptr) {
    co_await job.cpu->run(make_zip);
  } else {
    make_zip();
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
  auto ids = co_await deliver_files(store, runner, *job.files_api, std::move(fj), std::string(kLinkChannel));
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

}  // namespace

std::uint64_t estimate_message_bytes(const std::vector<std::uint64_t>& sizes, std::uint64_t body_bytes) {
  std::uint64_t total = kHeaderAllowance + body_bytes;
  for (auto n : sizes) {
    std::uint64_t b64 = (n + 2) / 3 * 4;
    total += b64 + b64 / 76 * 2 + 2 + 1024;  // line ends, part headers
  }
  return total;
}

asio::awaitable<Result<EmailResult>> deliver_email(store::Store& store, BlockingRunner& runner,
                                                   MailTransport& transport, render::Scratch& scratch,
                                                   EmailJob job) {
  for (const auto& o : job.outputs) {
    if (o.bytes.empty()) {
      co_return Status::error(ErrorKind::kInternal, "email: output " + o.filename + " is empty; not sending");
    }
  }
  std::uint64_t max = transport.max_message_bytes();
  // No recipient may be mailed: nothing is packaged (or uploaded to Files).
  bool any_allowed = std::any_of(job.recipients.begin(), job.recipients.end(),
                                 [&](const std::string& r) { return check_recipient(r, job.domains).ok(); });
  Result<Content> content = Content();
  if (any_allowed) content = co_await choose_content(store, runner, scratch, job, max);
  if (!content.ok()) co_return content.status();

  EmailResult result;
  result.packaging = content->packaging;
  // One relay connection for all the recipients (RSET between): each is
  // recorded sent as soon as the relay accepted its message, before QUIT.
  std::unique_ptr<MailSession> session = transport.session();
  int refused = 0, deferred = 0;
  std::string last_code;
  std::optional<Status> not_allowed;  // the first recipient the domain check refused
  int not_allowed_count = 0;
  for (const auto& rcpt : job.recipients) {
    std::string message_id = derive_message_id(job.occurrence_key, rcpt, domain_of(job.from.email));
    std::optional<Result<store::Delivery>> row;
    co_await runner.run([&] { row.emplace(store.ensure_delivery(job.run_id, kSmtpChannel, rcpt, message_id, job.now_ms)); });
    if (!row->ok()) co_return Status(row->status()).with_context("email: ledger");
    store::Delivery d = row->value();
    if (d.state == store::DeliveryState::kSent) {
      ++result.already_sent;
      continue;
    }
    if (Status allowed = check_recipient(rcpt, job.domains); !allowed.ok()) {
      // Checked here, where the mail leaves: the list may have narrowed since
      // the schedule was written. Recorded, never silently dropped.
      ++not_allowed_count;
      if (!not_allowed) not_allowed = allowed;
      if (d.state == store::DeliveryState::kRefused) continue;
      d.state = store::DeliveryState::kRefused;
      d.error = allowed.code() + ": " + allowed.message();
      d.updated_at_ms = job.now_ms;
      Status saved;
      co_await runner.run([&] { saved = store.update_delivery(d); });
      if (!saved.ok()) co_return std::move(saved).with_context("email: ledger");
      continue;
    }
    if (d.state == store::DeliveryState::kFailed) {  // refused for good by an earlier attempt
      ++refused;
      last_code = d.error;
      continue;
    }
    MailMessage m;
    m.from = job.from;
    m.to.push_back(Address{std::string(), rcpt});
    m.subject = job.subject;
    m.message_id = d.message_id.empty() ? message_id : d.message_id;
    m.date_ms = job.now_ms;
    m.text = content->bodies.text;
    m.html = content->bodies.html;
    for (const auto& a : content->attachments) m.attachments.push_back(Attachment{a.filename, a.content_type, a.bytes});
    // Streamed: the attachments are base64-encoded chunk by chunk from
    // scratch as the transport reads them, never held whole.
    auto mime = MimeSource::create(m);
    // Copies of the bodies: the planned pieces hold them now.
    wipe(m.text);
    wipe(m.html);
    if (!mime.ok()) co_return Status(mime.status()).with_context("email");
    MessageSource& message = **mime;
    if (message.size() > max) {
      co_return Status::error(ErrorKind::kLimit, "email: message of " + std::to_string(message.size()) +
                                                     " bytes is over smtp.max_message_bytes", "too-large");
    }
    d.state = store::DeliveryState::kSending;
    d.updated_at_ms = job.now_ms;
    Status st;
    co_await runner.run([&] { st = store.update_delivery(d); });
    if (!st.ok()) co_return std::move(st).with_context("email: ledger");

    Envelope env;  // built apart: GCC 12 miscompiles init lists inside co_await
    env.from = job.from.email;
    env.to.push_back(rcpt);
    auto sent = co_await session->send(std::move(env), message);
    const auto answered = std::chrono::steady_clock::now();  // the relay's reply to the final dot
    if (sent.ok() && !sent->recipients.empty()) {
      const RecipientResult& r = sent->recipients.front();
      d.error.clear();
      if (r.outcome != RcptOutcome::kAccepted) d.error = "smtp-" + std::to_string(r.code);
      d.state = r.outcome == RcptOutcome::kAccepted    ? store::DeliveryState::kSent
                : r.outcome == RcptOutcome::kPermanent ? store::DeliveryState::kFailed
                                                       : store::DeliveryState::kPending;
    } else if (sent.ok()) {
      d.state = store::DeliveryState::kPending;
      d.error = "smtp-no-reply";
    } else {
      const Status& e = sent.status();
      d.error = e.code();
      // Unknown outcome stays "sending": the retry resends with the same Message-ID.
      d.state = e.code() == "smtp-unknown-outcome" ? store::DeliveryState::kSending
                : e.kind() == ErrorKind::kTransient ? store::DeliveryState::kPending
                                                    : store::DeliveryState::kFailed;
      // kLimit: the relay's SIZE is below smtp.max_message_bytes; lower the setting.
      if (e.kind() == ErrorKind::kAuth || e.kind() == ErrorKind::kInvalidArgument || e.kind() == ErrorKind::kLimit ||
          e.code() == "smtp-tls" || e.code() == "smtp-no-starttls" || e.code() == "smtp-tls-required") {
        // The relay, not the recipient, is at fault: leave the row retryable and stop.
        d.state = store::DeliveryState::kPending;
        co_await runner.run([&] { st = store.update_delivery(d); });
        co_return Status(e).with_context("email");
      }
    }
    d.updated_at_ms = job.now_ms;
    co_await runner.run([&] { st = store.update_delivery(d); });
    if (!st.ok()) co_return std::move(st).with_context("email: ledger");
    if (d.state == store::DeliveryState::kSent) {
      ++result.sent;
      result.sent_commit_windows.push_back(std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now() - answered));
    }
    else if (d.state == store::DeliveryState::kFailed) ++refused;
    else ++deferred;
    if (d.state != store::DeliveryState::kSent) last_code = d.error;
  }
  co_await session->close();
  std::size_t n = job.recipients.size();
  if (not_allowed && deferred == 0) {
    co_return Status::error(ErrorKind::kPermanent,
                            "email: " + std::to_string(not_allowed_count) + " of " + std::to_string(n) +
                                " recipients refused, not sent: " + not_allowed->message() +
                                (result.sent + result.already_sent > 0
                                     ? "; the others got the report"
                                     : ""),
                            not_allowed->code());
  }
  if (deferred > 0) {
    co_return Status::error(ErrorKind::kTransient,
                            "email: " + std::to_string(deferred) + " of " + std::to_string(n) +
                                " recipients deferred (" + last_code + "); will retry",
                            last_code);
  }
  if (refused > 0) {
    co_return Status::error(ErrorKind::kPermanent,
                            "email: " + std::to_string(refused) + " of " + std::to_string(n) +
                                " recipients refused (" + last_code + ")",
                            last_code);
  }
  co_return result;
}

}  // namespace reportd::deliver
