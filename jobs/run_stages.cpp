// RunPipeline's stages: fetch (source -> renderers) and deliver (Files, then
// email), each bounded by the run's deadline and retried through one helper.

#include <date/tz.h>

#include <algorithm>
#include <boost/asio/experimental/awaitable_operators.hpp>

#include "jobs/burst.hpp"
#include "jobs/connections.hpp"
#include "jobs/deliver/email_delivery.hpp"
#include "jobs/deliver/files_delivery.hpp"
#include "jobs/next_fire.hpp"
#include "jobs/run_context.hpp"
#include "jobs/scratch_steps.hpp"

namespace reportd::jobs {

namespace asio = boost::asio;

namespace {

std::string default_subject(const store::Schedule& s, const date::time_zone* zone,
                            std::int64_t nominal_s) {
  auto day = date::make_zoned(zone, date::sys_seconds(std::chrono::seconds(nominal_s)));
  return s.name + " - " + date::format("%F", day);
}

// Where the run's data lives in Salesforce, for the mail's links.
std::vector<render::SummaryInput::Link> salesforce_links(const store::Schedule& s,
                                                         const std::string& instance_url) {
  std::vector<render::SummaryInput::Link> out;
  if (instance_url.empty()) return out;
  if (s.source_kind == store::SourceKind::kReport) {
    out.push_back({"Open the report in Salesforce",
                   instance_url + "/lightning/r/Report/" + s.source + "/view"});
  }
  if (!s.sf_record_id.empty()) {
    out.push_back({"Open the schedule in Salesforce",
                   instance_url + "/lightning/r/Reportd_Schedule__c/" + s.sf_record_id + "/view"});
  }
  return out;
}

std::string minutes_text(std::chrono::seconds d) {
  if (d.count() % 60 != 0) return std::to_string(d.count()) + " s";
  return std::to_string(d.count() / 60) + " min";
}

}  // namespace

Status RunPipeline::acquire(Context& ctx) {
  const store::Connection& c = ctx.connection;
  if (Status st = usable(c); !st.ok()) return st;
  auto zone = find_zone(ctx.schedule.tz);
  if (!zone.ok()) return zone.status();
  ctx.zone = *zone;
  // Whose access the run uses is decided here, once, and recorded; a run
  // that cannot act as its user fails instead of falling back. A burst's
  // integration user only looks up each recipient's user (run_burst.cpp).
  RunAsChoice as =
      ctx.schedule.burst ? RunAsChoice{} : choose_run_as(ctx.schedule, c, options_.run_as);
  if (ctx.schedule.burst) ctx.run.ran_as = "burst";
  if (!ctx.schedule.burst)
    ctx.run.ran_as = as.refused.ok() ? as.ran_as() : as.username;  // "": nobody
  if (!as.refused.ok()) return as.refused;
  ctx.run_as_user = as.username;
  auto api = as.username.empty() ? deps_.apis.lease(c) : deps_.apis.lease_as(c, as.username);
  if (!api.ok()) return run_as_refusal(api.status(), as.username);
  ctx.api_lease = std::move(api).value();
  ctx.api = ctx.api_lease.get();
  return {};
}

// The stage, or the run's deadline, whichever comes first: when the deadline
// passes, the stage's pending operation (a Salesforce request, an SMTP
// exchange, a backoff) is cancelled and the run fails with code `deadline`.
asio::awaitable<Status> RunPipeline::bounded(Context& ctx, Stage stage, const char* what) {
  using namespace asio::experimental::awaitable_operators;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(ctx.deadline -
                                                                    deps_.clock.steady_now());
  std::variant<Status, bool> r = false;  // the deadline passed already
  if (left.count() > 0) r = co_await (guarded(ctx, stage) || deps_.timer.wait(left));
  if (r.index() == 0) {
    if (ctx.crashed) std::rethrow_exception(ctx.crashed);
    co_return std::get<0>(std::move(r));
  }
  co_return Status::error(ErrorKind::kLimit,
                          std::string("the run deadline ([limits] run_deadline, ") +
                              minutes_text(options_.run_deadline) + ") passed while " + what,
                          "deadline");
}

// Runs a stage, keeping what it throws for bounded(): a stage that throws
// must end the race at once, not wait for the deadline.
asio::awaitable<Status> RunPipeline::guarded(Context& ctx, Stage stage) {
  try {
    co_return co_await (this->*stage)(ctx);
  } catch (...) {
    ctx.crashed = std::current_exception();
  }
  co_return Status::error(ErrorKind::kInternal, "internal error", "internal");
}

// Runs `attempt` until it succeeds, fails for good, or the next backoff would
// end past the run's deadline (RunPolicy decides which). `salesforce`: an
// auth error is Salesforce refusing the grant, so the connection is marked
// needs-reauth and its client forgotten.
asio::awaitable<Status> RunPipeline::retrying(Context& ctx, Stage attempt, bool salesforce) {
  for (int n = 1;; ++n) {
    Status st = co_await (this->*attempt)(ctx);
    if (st.ok()) co_return st;
    if (salesforce && !ctx.run_as_user.empty() &&
        RunPolicy::classify(st) == ErrorClass::kNeedsReauth && st.code() != "org-mismatch") {
      // The user's grant, not the connection's: the connection stays usable.
      co_return run_as_refusal(std::move(st), ctx.run_as_user);
    }
    if (salesforce && RunPolicy::classify(st) == ErrorClass::kNeedsReauth) {
      // invalid_grant and friends: a person must reconnect the org; nothing
      // retries in a loop (DESIGN.md §4.4).
      Result<bool> marked =
          co_await mark_needs_reauth(deps_.store, ctx.connection.id, st.message());
      ctx.marked_needs_reauth = marked.ok() && *marked;
      deps_.apis.forget(ctx.connection.id);
      co_return st;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(ctx.deadline -
                                                                      deps_.clock.steady_now());
    RetryDecision d = policy_.retry(st, n, left, random_unit());
    if (!d.retry) {
      if (RunPolicy::classify(st) != ErrorClass::kRetry) co_return st;
      co_return std::move(st).with_context("gave up after " + std::to_string(n) +
                                           " attempts within the run deadline");
    }
    const bool waited = co_await deps_.timer.wait(d.delay);
    if (!waited) co_return st;  // cancelled: the deadline passed
  }
}

asio::awaitable<Status> RunPipeline::fetch(Context& ctx) {
  Status st = co_await retrying(ctx, &RunPipeline::fetch_once, true);
  co_return run_as_refusal(std::move(st), ctx.run_as_user);
}

asio::awaitable<Status> RunPipeline::fetch_once(Context& ctx) {
  if (ctx.outputs) ctx.outputs->dispose();  // a retry starts from empty outputs
  ctx.outputs.reset();
  std::unique_ptr<ChangeHash> change;
  if (ctx.schedule.send_when == store::SendWhen::kChanged) {
    if (deps_.keys == nullptr || deps_.keys->empty()) {
      co_return Status::error(ErrorKind::kPermanent,
                              "send only when changed needs the master key (--key-file)", "no-key");
    }
    change = std::make_unique<ChangeHash>(derive_change_key(*deps_.keys));
  }
  OutputOptions output_options = options_.outputs;
  output_options.scratch.out_dir = options_.dry_run_dir;  // made there when it is a tmpfs
  auto outputs = RunOutputs::create(ctx.schedule, ctx.zone, output_options,
                                    ctx.run.nominal_s * 1000, std::move(change));
  if (!outputs.ok()) co_return outputs.status();
  ctx.outputs = std::move(outputs).value();
  // Several nodes: the run's share of their scratch budget grows with its
  // scratch, page by page (scratch_steps.hpp).
  if (Status st = co_await restart_scratch(ctx); !st.ok()) co_return st;
  ScratchPacer sink(ctx.outputs->sink(), [this, &ctx] { return pace_scratch(ctx); });
  Status st;
  switch (ctx.schedule.source_kind) {
    case store::SourceKind::kSoql:
      st = co_await ctx.api->query(ctx.schedule.source, false, sink);
      break;
    case store::SourceKind::kReport:
      st = co_await fetch_report(ctx, sink);
      break;
    case store::SourceKind::kBulk:
      st = co_await ctx.api->bulk_query(ctx.schedule.source, sink);
      break;
  }
  // Closing the workbook copies its sheets into it, and a zipped mail
  // copies the outputs once more: room for what they hold, beside them.
  const auto room = [&ctx] { return ctx.outputs->bytes() + ctx.outputs->bytes() / 4; };
  if (st.ok()) st = co_await take_scratch(ctx, room());
  if (st.ok()) {
    // Closing the workbook compresses the whole sheet: seconds for a large
    // report, so off the event loop (the run waits; other runs do not).
    RunOutputs* outputs_ptr = ctx.outputs.get();
    auto finish = [outputs_ptr] { return outputs_ptr->finish(); };
    st = co_await cpu_thread_.run(std::move(finish));
  }
  if (st.ok()) st = co_await take_scratch(ctx, room());
  note_scratch_failure(ctx, st);
  co_return st;
}

asio::awaitable<Status> RunPipeline::fetch_report(Context& ctx, table::RowSink& sink) {
  if (ctx.run_as_user.empty()) co_return co_await ctx.api->run_report(ctx.schedule.source, sink);
  if (!ctx.report_columns) {
    // Report metadata only, no record: the integration user's view of the
    // columns, since the user's own run leaves out what they may not see.
    auto admin = deps_.apis.lease(ctx.connection);
    if (!admin.ok()) co_return admin.status();
    auto columns = co_await (*admin)->report_columns(ctx.schedule.source);
    if (!columns.ok()) co_return std::move(columns).status().with_context("describe the report");
    ctx.report_columns = std::move(columns).value();
  }
  ReportColumnCheck check(sink, *ctx.report_columns);
  co_return co_await ctx.api->run_report(ctx.schedule.source, check);
}

Status RunPipeline::write_dry_run(Context& ctx) {
  // The scratch files themselves, in the order of ctx.refs (RunOutputs::refs).
  for (const auto& file : ctx.outputs->scratch().outputs()) {
    // A burst writes each recipient's copy under its own name.
    const std::string name =
        ctx.schedule.burst && ctx.schedule.recipients.size() == 1
            ? burst_file_name(file->filename(), ctx.schedule.recipients.front())
            : file->filename();
    // The file holds record values: only the operator may read it, and an
    // existing file or a planted symlink is never written through.
    const std::string path = options_.dry_run_dir + "/" + name;
    if (Status st = file->publish(path); !st.ok()) return std::move(st).with_context("dry run");
  }
  ctx.run.reason = "dry run: " + std::to_string(ctx.refs.size()) + " file(s) written to " +
                   options_.dry_run_dir + "; nothing delivered";
  return {};
}

asio::awaitable<Status> RunPipeline::deliver(Context& ctx) {
  auto refs = ctx.outputs->refs();
  if (!refs.ok()) co_return refs.status();
  ctx.refs = std::move(refs).value();
  if (!options_.dry_run_dir.empty()) co_return write_dry_run(ctx);
  const store::Schedule& s = ctx.schedule;
  if (!s.files_target.empty()) {
    if (Status st = co_await retrying(ctx, &RunPipeline::files_once, true); !st.ok()) co_return st;
  }
  if (s.recipients.empty()) co_return Status();
  co_return co_await retrying(ctx, &RunPipeline::email_once, false);
}

asio::awaitable<Status> RunPipeline::compare_change_hash(Context& ctx, bool& unchanged) {
  unchanged = false;
  ChangeHash* hash = ctx.outputs->change_hash();
  if (hash == nullptr) co_return Status();
  // The org as the run's first token may just have pinned it (ctx.connection
  // was read before), so a connection's first run hashes like its later ones.
  const std::int64_t conn_id = ctx.connection.id;
  auto conn =
      co_await deps_.store.run([conn_id](store::Store& s) { return s.get_connection(conn_id); });
  if (!conn.ok()) co_return conn.status();
  const std::int64_t id = ctx.schedule.id;
  ctx.digest = hash->digest({conn->org_id, conn_id, id});
  auto get = [id](store::Store& s) { return s.get_change_hash(id); };
  auto stored = co_await deps_.store.run(std::move(get));
  if (!stored.ok()) co_return stored.status();
  unchanged = stored->has_value() && std::equal((*stored)->begin(), (*stored)->end(),
                                                ctx.digest->begin(), ctx.digest->end());
  co_return Status();
}

// After a send: the hash of what was sent. A dry run sent nothing. A store
// that fails here only means the next unchanged run sends again.
asio::awaitable<void> RunPipeline::remember_change_hash(Context& ctx) {
  if (!ctx.digest || !options_.dry_run_dir.empty()) co_return;
  store::Bytes bytes(ctx.digest->begin(), ctx.digest->end());
  const std::int64_t id = ctx.schedule.id;
  const std::int64_t now = now_ms();
  auto put = [id, bytes, now](store::Store& s) { return s.put_change_hash(id, bytes, now); };
  co_await deps_.store.run(std::move(put));
}

asio::awaitable<Status> RunPipeline::files_once(Context& ctx) {
  deliver::DeliveryLedger ledger(deps_.store);
  deliver::FilesJob job{ctx.run.id, ctx.schedule.files_target, ctx.refs, now_ms()};
  auto upload =
      deliver::deliver_files(ledger, *ctx.api, std::move(job), store::DeliveryChannel::kFiles);
  auto r = co_await std::move(upload);
  co_return r.ok() ? Status() : r.status();
}

asio::awaitable<Status> RunPipeline::email_once(Context& ctx) {
  std::shared_ptr<deliver::MailTransport> mail;  // held to the end of the delivery
  if (deps_.mail) mail = deps_.mail();
  if (mail == nullptr) {
    co_return Status::error(ErrorKind::kPermanent,
                            "no mail relay is configured: add an [smtp] table to the config "
                            "file (see README.md, \"Mail\")",
                            "no-smtp");
  }
  const store::Schedule& s = ctx.schedule;
  // The connection's allowed domains as they are now, where the mail leaves:
  // `connections set` may have narrowed them since the run started.
  const std::int64_t cid = ctx.connection.id;
  auto reread = [cid](store::Store& st) { return st.get_connection(cid); };
  auto connection = co_await deps_.store.run(std::move(reread));
  if (!connection.ok()) co_return connection.status();
  deliver::DeliveryLedger ledger(deps_.store);
  deliver::EmailJob job;
  job.domains = domain_policy(s, *connection, options_.domains);
  job.run_id = ctx.run.id;
  if (lease_guard_) job.may_send = [this, id = ctx.run.id] { return lease_guard_(id); };
  job.occurrence_key = std::to_string(s.id) + "@" + std::to_string(ctx.run.nominal_s);
  job.recipients = s.recipients;
  job.from = options_.from;
  job.subject = s.subject.empty() ? default_subject(s, ctx.zone, ctx.run.nominal_s) : s.subject;
  job.now_ms = now_ms();
  job.summary.schedule_name = s.name;
  job.summary.body = s.body;
  job.summary.run_time_ms = ctx.run.nominal_s * 1000;
  job.summary.tz = ctx.zone;
  job.summary.salesforce = salesforce_links(s, ctx.connection.instance_url);
  job.tables = &ctx.outputs->summary();
  job.outputs = ctx.refs;
  job.files_api = ctx.api;
  job.files_target = s.files_target;
  job.instance_url = ctx.connection.instance_url;
  job.cpu = &cpu_thread_;  // the zip fallback
  auto send = deliver::deliver_email(ledger, *mail, ctx.outputs->scratch(), std::move(job));
  auto r = co_await std::move(send);
  if (!r.ok()) co_return r.status();
  for (auto w : r->sent_commit_windows) ctx.sent_commit_windows.push_back(w);
  co_return Status();
}

}  // namespace reportd::jobs
