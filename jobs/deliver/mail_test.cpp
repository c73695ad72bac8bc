#include "jobs/deliver/mail_test.hpp"

#include "jobs/deliver/mail_transport.hpp"
#include "jobs/deliver/mime.hpp"
#include "jobs/deliver/mime_source.hpp"
#include "jobs/render/csv_renderer.hpp"
#include "jobs/render/html_summary.hpp"
#include "jobs/render/sample_table.hpp"
#include "jobs/render/xlsx_renderer.hpp"

namespace reportd::deliver {

namespace asio = boost::asio;

asio::awaitable<Status> send_test_mail(SmtpConfig config, std::string to, std::int64_t now_ms,
                                       render::ScratchOptions scratch_options) {
  if (Status st = validate(config); !st.ok()) co_return st;
  if (Status st = validate_address(to); !st.ok()) co_return std::move(st).with_context("--to");
  auto scratch = render::Scratch::open(scratch_options);
  if (!scratch.ok()) co_return scratch.status();
  render::CsvRenderer csv(**scratch, render::CsvOptions());
  render::XlsxOptions xo;
  xo.filename = "sample.xlsx";
  render::XlsxRenderer xlsx(**scratch, xo);
  render::HtmlSummary summary(5, nullptr);
  // No braced lists in this frame: GCC 12 miscompiles initializer_list
  // backing arrays inside coroutines.
  std::vector<table::RowSink*> sinks;
  sinks.push_back(&csv);
  sinks.push_back(&xlsx);
  sinks.push_back(&summary);
  table::TeeSink tee(std::move(sinks));
  if (Status st = render::emit_sample_table(tee, 20, "Sample"); !st.ok()) co_return st;
  if (Status st = xlsx.finish(); !st.ok()) co_return st;

  render::SummaryInput in;
  in.schedule_name = "reportd mail test";
  in.run_time_ms = now_ms;
  in.notes.push_back("This is a test message from reportd; the attachments hold made-up sample data.");
  MailMessage m;
  m.from = Address{config.from_name, config.from};
  m.to.push_back(Address{std::string(), to});
  m.subject = "reportd mail test";
  m.message_id = derive_message_id("mail-test@" + std::to_string(now_ms), to,
                                   config.from.substr(config.from.rfind('@') + 1));
  m.date_ms = now_ms;
  for (const auto& f : (*scratch)->outputs()) {
    auto v = f->view();
    if (!v.ok()) co_return v.status();
    in.attachments.push_back(render::AttachmentInfo{f->filename(), f->size()});
    m.attachments.push_back(Attachment{f->filename(), f->content_type(), *v});
  }
  render::EmailBodies bodies = render::render_bodies(in, summary);
  m.text = bodies.text;
  m.html = bodies.html;
  auto mime = MimeSource::create(m);
  if (!mime.ok()) co_return mime.status();
  MessageSource& message = **mime;

  SmtpTransport transport(config);
  Envelope env;
  env.from = config.from;
  env.to.push_back(to);
  auto sent = co_await transport.send(std::move(env), message);
  if (!sent.ok()) co_return Status(sent.status()).with_context("mail test");
  const RecipientResult& r = sent->recipients.front();
  if (r.outcome != RcptOutcome::kAccepted) {
    co_return Status::error(r.outcome == RcptOutcome::kTransient ? ErrorKind::kTransient : ErrorKind::kPermanent,
                            "mail test: the server refused " + to + ": " + r.reply,
                            "smtp-" + std::to_string(r.code));
  }
  co_return Status();
}

}  // namespace reportd::deliver
