// Test driver for the SMTP tests (smtp_real_test.py, smtp_faults_test.py).
//   smtp_driver send|bigsend|deliver|mailtest [--host H] [--port P] [--tls T] [--ca F]
//     [--user U --pwfile F] [--from A] [--to B]... [--subject S] [--text-file F]
//     [--rows N] [--out DIR] [--attempts N] [--max-bytes N] [--timeout S] [--mb N] [--db FILE]
// send: renders the sample table (CSV + XLSX), writes the rendered bytes to
//   DIR, sends one message to all --to, prints "RCPT <addr> <outcome> <code>".
// bigsend: writes --mb MiB of made-up CSV to a scratch memfd, maps it, then
//   streams one message with it attached and prints "ATTACHMENT <bytes>
//   <crc32>", "MESSAGE <bytes> <stuffed bytes>" and "MEM <rss kB before>
//   <peak kB during the send>" (VmHWM, reset just before the send).
// deliver: runs deliver_email() against a real SqliteStore (in memory, or the
//   file --db) --attempts times (a run retry), printing "ATTEMPT <n> <ok|kind>
//   <code>", "WINDOWS <us>..." (sent -> committed) and the ledger.
// mailtest: send_test_mail() to the first --to.
// Every mode ends with "STATUS ok" or "STATUS <kind> <code> <message>".
#include <zlib.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "jobs/deliver/email_delivery.hpp"
#include "jobs/deliver/mail_test.hpp"
#include "jobs/deliver/mime_source.hpp"
#include "jobs/render/csv_renderer.hpp"
#include "jobs/render/sample_table.hpp"
#include "jobs/render/xlsx_renderer.hpp"
#include "store/sqlite_store.hpp"

using namespace reportd;
namespace asio = boost::asio;

namespace {

struct Args {
  std::string mode, out, subject = "Report", text_file, db = ":memory:";
  deliver::SmtpConfig cfg;
  std::vector<std::string> to;
  std::uint64_t rows = 50;
  std::uint64_t mb = 100;
  int attempts = 1;
};

void print_status(const Status& st) {
  if (st.ok()) std::cout << "STATUS ok\n";
  else std::cout << "STATUS " << to_string(st.kind()) << " " << (st.code().empty() ? "-" : st.code()) << " "
                 << st.message() << "\n";
}

asio::awaitable<void> do_send(deliver::SmtpConfig cfg, deliver::Envelope env, deliver::MessageSource* msg,
                              std::optional<Result<deliver::SendReport>>* out) {
  crypto::SecureBuffer pw;
  if (auto p = deliver::read_smtp_password(cfg); p.ok()) pw = std::move(p).value();
  out->emplace(co_await deliver::smtp_send(cfg, std::move(pw), std::move(env), *msg));
}

asio::awaitable<void> do_deliver(deliver::DeliveryLedger* ledger, deliver::MailTransport* t,
                                 render::Scratch* scratch, deliver::EmailJob job,
                                 std::optional<Result<deliver::EmailResult>>* out) {
  auto send = deliver::deliver_email(*ledger, *t, *scratch, std::move(job));
  out->emplace(co_await std::move(send));
}

asio::awaitable<void> do_mailtest(deliver::SmtpConfig cfg, std::string to, Status* out) {
  render::ScratchOptions scratch;
  *out = co_await deliver::send_test_mail(cfg, to, 1700000000000, scratch);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void check(bool ok, const char* what) {
  if (!ok) {
    std::cerr << "setup failed: " << what << "\n";
    std::exit(3);
  }
}

long status_kib(const std::string& key) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) == 0) return std::stol(line.substr(key.size() + 1));
  }
  return -1;
}

int print_send_result(const std::optional<Result<deliver::SendReport>>& r) {
  if (r->ok()) {
    for (const auto& rr : (*r)->recipients) {
      const char* o = rr.outcome == deliver::RcptOutcome::kAccepted ? "accepted"
                      : rr.outcome == deliver::RcptOutcome::kTransient ? "transient" : "permanent";
      std::cout << "RCPT " << rr.address << " " << o << " " << rr.code << "\n";
    }
    print_status({});
  } else {
    print_status(r->status());
  }
  return 0;
}

// Made-up CSV lines, some starting with "." (which base64 hides from SMTP).
// The message's addresses, subject, Message-ID and a fixed Date.
deliver::MailMessage headers_of(const Args& a, std::string_view key) {
  deliver::MailMessage m;
  m.from = {"Reports", a.cfg.from};
  for (const auto& t : a.to) m.to.push_back({"", t});
  m.subject = a.subject;
  m.message_id = deliver::derive_message_id(key, a.to.at(0), "example.com");
  m.date_ms = 1700000000000;
  return m;
}

int bigsend(const Args& a, asio::io_context& io) {
  auto scratch = render::Scratch::open({});
  check(scratch.ok(), "scratch");
  auto file = (*scratch)->create("big.csv", "text/csv; charset=utf-8");
  check(file.ok(), "scratch file");
  std::string block;
  std::uint64_t target = a.mb << 20, line = 0;
  uLong crc = crc32(0L, Z_NULL, 0);
  while ((*file)->size() < target) {
    block.clear();
    while (block.size() < (1u << 20)) {
      block += (line % 9 == 0 ? ".row " : "row ") + std::to_string(line) + ",Acme " + std::to_string(line * 7919 % 100003) +
               ",2024-07-01T12:00:00+02:00,\"quoted, text\"\r\n";
      ++line;
    }
    block.resize(std::min<std::uint64_t>(block.size(), target - (*file)->size()));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(block.data()), static_cast<uInt>(block.size()));
    check((*file)->append(block).ok(), "append");
  }
  std::string().swap(block);
  auto view = (*file)->view();
  check(view.ok(), "view");
  // Touch every page: the mapped CSV is resident before the baseline, as in
  // the daemon, where the renderer wrote it.
  unsigned sum = 0;
  for (std::size_t i = 0; i < view->size(); i += 4096) sum += static_cast<unsigned char>((*view)[i]);
  std::cout << "ATTACHMENT " << view->size() << " " << crc << " " << (sum & 1) << "\n";

  deliver::MailMessage m = headers_of(a, "bigsend");
  m.text = "See attached.\n.a line with a dot\n.\n";
  m.html = "<p>See attached.</p>";
  m.attachments.push_back({"big.csv", "text/csv; charset=utf-8", *view});
  auto source = deliver::MimeSource::create(m);
  check(source.ok(), "mime");
  std::cout << "MESSAGE " << (*source)->size() << " " << (*source)->stuffed_size() << "\n";
  deliver::Envelope env{a.cfg.from, a.to, {}, {}};
  std::optional<Result<deliver::SendReport>> r;
  std::ofstream("/proc/self/clear_refs") << "5";  // VmHWM restarts from VmRSS
  long before = status_kib("VmRSS");
  asio::co_spawn(io, do_send(a.cfg, env, source->get(), &r), [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
  io.run();
  std::cout << "MEM " << before << " " << status_kib("VmHWM") << "\n";
  return print_send_result(r);
}

}  // namespace

int main(int argc, char** argv) {
  if (!crypto::init_sodium()) return 2;  // the SMTP password lives in secure memory
  Args a;
  a.mode = argc > 1 ? argv[1] : "";
  a.cfg.host = "localhost";
  a.cfg.from = "reports@example.com";
  a.cfg.step_timeout = std::chrono::seconds(5);
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--host") a.cfg.host = v;
    else if (k == "--port") a.cfg.port = static_cast<std::uint16_t>(std::stoi(v));
    else if (k == "--tls") {
      auto tls = deliver::smtp_tls_from(v);
      check(tls.ok(), "--tls");
      a.cfg.tls = *tls;
    }
    else if (k == "--ca") a.cfg.ca_file = v;
    else if (k == "--user") a.cfg.username = v;
    else if (k == "--pwfile") a.cfg.password_file = v;
    else if (k == "--from") a.cfg.from = v;
    else if (k == "--to") a.to.push_back(v);
    else if (k == "--subject") a.subject = v;
    else if (k == "--text-file") a.text_file = v;
    else if (k == "--rows") a.rows = std::stoull(v);
    else if (k == "--out") a.out = v;
    else if (k == "--attempts") a.attempts = std::stoi(v);
    else if (k == "--max-bytes") a.cfg.max_message_bytes = std::stoull(v);
    else if (k == "--timeout") a.cfg.step_timeout = std::chrono::seconds(std::stoi(v));
    else if (k == "--mb") a.mb = std::stoull(v);
    else if (k == "--db") a.db = v;
    else {
      std::cerr << "unknown option " << k << "\n";
      return 2;
    }
  }
  asio::io_context io;
  if (a.mode == "mailtest") {
    Status st;
    asio::co_spawn(io, do_mailtest(a.cfg, a.to.at(0), &st), [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
    io.run();
    print_status(st);
    return 0;
  }
  if (a.mode == "bigsend") return bigsend(a, io);

  auto scratch = render::Scratch::open({});
  check(scratch.ok(), "scratch");
  render::CsvRenderer csv(**scratch, {});
  render::XlsxRenderer xlsx(**scratch, {});
  render::HtmlSummary summary(3, nullptr);
  table::TeeSink tee({&csv, &xlsx, &summary});
  check(render::emit_sample_table(tee, a.rows).ok() && xlsx.finish().ok(), "render");
  std::vector<deliver::OutputRef> outputs;
  for (const auto& f : (*scratch)->outputs()) {
    auto v = f->view();
    check(v.ok(), "view");
    outputs.push_back({f->filename(), f->content_type(), *v});
    if (!a.out.empty()) {
      std::ofstream(a.out + "/" + f->filename(), std::ios::binary).write(v->data(), static_cast<std::streamsize>(v->size()));
    }
  }
  std::string text = a.text_file.empty() ? "See attached.\n" : slurp(a.text_file);

  if (a.mode == "send") {
    deliver::MailMessage m = headers_of(a, "driver");
    m.text = text;
    m.html = "<p>" + render::html_escape(text) + "</p>";
    for (const auto& o : outputs) m.attachments.push_back({o.filename, o.content_type, o.bytes});
    auto source = deliver::MimeSource::create(m);
    check(source.ok(), "mime");
    deliver::Envelope env{a.cfg.from, a.to, {}, {}};
    std::optional<Result<deliver::SendReport>> r;
    asio::co_spawn(io, do_send(a.cfg, env, source->get(), &r), [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
    io.run();
    return print_send_result(r);
  }

  if (a.mode == "deliver") {
    auto db = store::SqliteStore::open(a.db);
    check(db.ok(), "store");
    store::Connection c;
    c.name = "c";
    c.login_url = "https://login.salesforce.com";
    c.client_id = "x";
    auto cid = (*db)->add_connection(c, [](store::Connection with_id) -> Result<store::Connection> { return with_id; });
    check(cid.ok(), "connection");
    store::Schedule s;
    s.name = "s";
    s.connection_id = *cid;
    s.cron = "0 8 * * *";
    auto sid = (*db)->add_schedule(s);
    check(sid.ok(), "schedule");
    auto run = (*db)->claim_occurrence(*sid, 1700000000, store::RunState::kRunning, "", 1700000000000);
    check(run.ok() && run->has_value(), "claim");
    store::StoreThread store_thread(**db);
    deliver::DeliveryLedger ledger(store_thread);
    deliver::SmtpTransport transport(a.cfg);
    for (int n = 1; n <= a.attempts; ++n) {
      deliver::EmailJob job;
      job.run_id = **run;
      job.occurrence_key = std::to_string(*sid) + "@1700000000";
      job.recipients = a.to;
      job.from = {"Reports", a.cfg.from};
      job.subject = a.subject;
      job.now_ms = 1700000000000 + n;
      job.summary.schedule_name = "Driver";
      job.tables = &summary;
      job.outputs = outputs;
      std::optional<Result<deliver::EmailResult>> r;
      asio::co_spawn(io, do_deliver(&ledger, &transport, scratch->get(), job, &r),
                     [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
      io.restart();
      io.run();
      std::cout << "ATTEMPT " << n << " ";
      print_status(r->ok() ? Status() : r->status());
      if (r->ok()) {
        std::cout << "WINDOWS";
        for (const auto& w : (*r)->sent_commit_windows) std::cout << " " << w.commit.count();
        std::cout << "\n";
      }
    }
    auto rows = (*db)->list_deliveries(**run);
    check(rows.ok(), "list");
    for (const auto& d : *rows) {
      std::cout << "LEDGER " << store::to_string(d.channel) << " " << d.recipient << " " << store::to_string(d.state) << " "
                << d.message_id << " " << (d.error.empty() ? "-" : d.error) << "\n";
    }
    print_status({});
    return 0;
  }
  std::cerr << "unknown mode\n";
  return 2;
}
