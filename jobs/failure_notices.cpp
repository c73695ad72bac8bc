#include "jobs/failure_notices.hpp"

#include <algorithm>

namespace reportd::jobs {
namespace asio = boost::asio;
using store::RunState;

namespace {

// How many occurrences that never started the failure count looks past.
constexpr std::int64_t kNeverStartedLookBack = 1000;

void add_recipient(std::vector<std::string>& to, const std::string& address) {
  if (!address.empty() && std::find(to.begin(), to.end(), address) == to.end()) {
    to.push_back(address);
  }
}

// The schedule's owner hears only when the address is valid and passes the
// connection's domain check: a synced record's Owner.Email is the customer's
// to set, like any recipient. A refusal is kept in `n.refused`.
void add_owner(Notice& n, const store::Schedule& s, const store::Connection& c,
               const NoticeOptions& o) {
  if (s.owner_email.empty()) return;
  auto address = deliver::parse_address(s.owner_email);
  Status st = address.ok() ? deliver::check_recipient(*address, domain_policy(s, c, o.domains))
                           : address.status();
  if (st.ok()) {
    add_recipient(n.to, *address);
  } else {
    std::string why = "owner " + s.owner_email + " of schedule \"" + s.name + "\": " + st.message();
    if (std::find(n.refused.begin(), n.refused.end(), why) == n.refused.end()) {
      n.refused.push_back(std::move(why));
    }
  }
}

// The operator reads whom the notice did not reach, and why.
void note_refused(Notice& n) {
  if (n.refused.empty()) return;
  n.text += "\nThis notice was not sent to:\n";
  for (const std::string& r : n.refused) n.text += "  - " + r + "\n";
}

Notice addressed(const store::Schedule& s, const store::Connection& c, const NoticeOptions& o) {
  Notice n;
  add_owner(n, s, c, o);
  add_recipient(n.to, o.operator_email);
  return n;
}

std::string what_to_do_for_schedule(const store::Schedule& s) {
  if (s.origin == store::ScheduleOrigin::kSalesforce) {
    return "Fix the schedule record in Salesforce (or what it reads), then clear its\n"
           "status: saving the record makes reportd sync it again and resume it.\n"
           "An operator can also run: reportd schedules resume \"" + s.name + "\"\n";
  }
  return "Fix the cause, then resume the schedule:\n\n    reportd schedules resume \"" +
         s.name + "\"\n\nSee its runs with: reportd runs --schedule \"" + s.name + "\"\n";
}

std::string reauth_subject(const store::Connection& connection) {
  return "reportd: connection \"" + connection.name + "\" needs re-authorization";
}

std::string reauth_text(const store::Connection& connection, const std::string& what_failed,
                        const std::string& why) {
  return "Salesforce refused the stored authorization of connection \"" + connection.name +
         "\"\n(org " + (connection.org_id.empty() ? std::string("unknown") : connection.org_id) +
         ", " + connection.login_url + ").\n\n" + "What failed: " + what_failed + ".\n" +
         "Why: " + why + "\n\n" +
         "Until the org is connected again, every schedule on this connection fails at\n"
         "once without calling Salesforce, and its schedule records are not synced.\n"
         "Nothing retries in a loop.\n\n"
         "What to do: an administrator of the org connects it again, for example with\n\n"
         "    reportd connections reauth \"" + connection.name + "\" --authorize "
         "--redirect-uri URL\n\n"
         "or, with a refresh token obtained elsewhere, on stdin:\n\n"
         "    reportd connections reauth \"" + connection.name + "\" --refresh-token-stdin "
         "< token-file\n\n"
         "The usual causes: the connected app's refresh token policy expired it, a user\n"
         "revoked the app's access, or the user was deactivated or lost a permission.\n";
}

// Whether the newest run before `run_id` that started failed with `code`.
bool failed_before_with(const std::vector<store::Run>& newest_first, std::int64_t run_id,
                        const std::string& code) {
  for (const store::Run& r : newest_first) {
    if (r.id == run_id || (r.started_at_ms == 0 && r.state != RunState::kFailed)) continue;
    return r.state == RunState::kFailed && r.error_code == code;
  }
  return false;
}

}  // namespace

int failures_in_a_row(const std::vector<store::Run>& newest_first) {
  int n = 0;
  for (const store::Run& r : newest_first) {
    // Occurrences that never started (skipped for overlap, missed, cancelled)
    // say nothing about whether the schedule works: look past them.
    if (r.started_at_ms == 0 && r.state != RunState::kFailed) continue;
    if (r.state != RunState::kFailed) break;
    ++n;
  }
  return n;
}

bool is_access_failure(const std::string& code) {
  return code.rfind("run-as-", 0) == 0 || code.rfind("burst-", 0) == 0;
}

Notice access_notice(const store::Schedule& schedule, const store::Connection& connection,
                     const store::Run& run, const NoticeOptions& options) {
  Notice n = addressed(schedule, connection, options);
  n.key = "access-" + std::to_string(schedule.id) + "-" + std::to_string(run.id);
  n.subject = "reportd: schedule \"" + schedule.name + "\" failed (" + run.error_code + ")";
  n.text = "Schedule \"" + schedule.name + "\" failed: Salesforce or reportd refused whose\n"
           "access the report would run with. Nothing was sent in anyone else's name.\n\n" +
           run.reason + "\n\nreportd tells you once; later runs that fail the same way send no\n"
           "notice. See its runs with: reportd runs --schedule \"" + schedule.name + "\"\n";
  note_refused(n);
  return n;
}

std::string reauth_command(const std::string& connection_name) {
  return "reportd connections reauth " + connection_name +
         " --refresh-token-stdin < token-file (or --authorize --redirect-uri URL)";
}

Status needs_reauth_error(const store::Connection& c) {
  return Status::error(ErrorKind::kAuth,
                       "connection " + c.name + " needs re-authorization (" + c.status_reason +
                           "); it is not synced or run until it is connected again with `" +
                           reauth_command(c.name) + "`",
                       "needs-reauth");
}

asio::awaitable<Result<bool>> mark_needs_reauth(store::StoreThread& store, std::int64_t connection_id,
                                                std::string reason) {
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary
  // inside a co_await expression twice. The store thread runs one call at a
  // time, so the read and the write are not interleaved with another mark.
  auto mark = [connection_id, reason](store::Store& s) -> Result<bool> {
    auto c = s.get_connection(connection_id);
    if (!c.ok()) return std::move(c).status();
    // Already marked, or marked org-mismatch (the refused token's own error):
    // the first mark stands.
    if (c->status != store::ConnectionStatus::kActive) return false;
    if (Status st = s.set_connection_status(connection_id, store::ConnectionStatus::kNeedsReauth,
                                            reason);
        !st.ok()) {
      return st;
    }
    return true;
  };
  co_return co_await store.run(std::move(mark));
}

Notice reauth_notice(const store::Schedule& schedule, const store::Connection& connection,
                     const store::Run& run, const NoticeOptions& options) {
  Notice n = addressed(schedule, connection, options);
  n.key = "reauth-" + std::to_string(connection.id) + "-" + std::to_string(run.id);
  n.subject = reauth_subject(connection);
  n.text = reauth_text(connection,
                       "schedule \"" + schedule.name + "\" could not get an access token",
                       run.reason);
  note_refused(n);
  return n;
}

Notice sync_reauth_notice(const store::Connection& connection,
                          const std::vector<store::Schedule>& schedules, const std::string& reason,
                          std::int64_t now_ms, const NoticeOptions& options) {
  Notice n;
  for (const store::Schedule& s : schedules) add_owner(n, s, connection, options);
  add_recipient(n.to, options.operator_email);
  n.key = "reauth-" + std::to_string(connection.id) + "-sync-" + std::to_string(now_ms);
  n.subject = reauth_subject(connection);
  n.text = reauth_text(connection,
                       "the sync of its schedule records (Reportd_Schedule__c)\n"
                       "could not get an access token",
                       reason);
  note_refused(n);
  return n;
}

Notice org_mismatch_notice(const store::Connection& connection, std::int64_t now_ms,
                           const NoticeOptions& options) {
  Notice n;
  add_recipient(n.to, options.operator_email);
  n.key = "org-mismatch-" + std::to_string(connection.id) + "-" + std::to_string(now_ms);
  n.subject = "reportd: connection \"" + connection.name + "\" refused a token of another org";
  n.text = "reportd refused a token for connection \"" + connection.name + "\" (" +
           connection.login_url + ")\nbecause it is not of the org the connection is pinned to.\n\n" +
           "What happened: " + connection.status_reason + ".\n\n" +
           "The connection is marked org-mismatch: until it is re-authorized with a token\n"
           "of its own org, its schedules fail at once without calling Salesforce, its\n"
           "schedule records are not synced, and nothing is sent.\n\n"
           "What to do: re-authorize it with a token of its own org:\n\n    " +
           reauth_command(connection.name) +
           "\n\nIf it should serve the other org, remove it and add a new connection.\n";
  return n;
}

Notice paused_notice(const store::Schedule& schedule, const store::Connection& connection,
                     const store::Run& run, int failures, const NoticeOptions& options) {
  Notice n = addressed(schedule, connection, options);
  n.key = "paused-" + std::to_string(schedule.id) + "-" + std::to_string(run.id);
  n.subject = "reportd: schedule \"" + schedule.name + "\" paused after " +
              std::to_string(failures) + " failed runs";
  n.text = "Schedule \"" + schedule.name + "\" failed " + std::to_string(failures) +
           " times in a row, so reportd paused it.\n"
           "No more reports go out from it until it is resumed.\n\n" +
           "Last error" + (run.error_code.empty() ? "" : " (" + run.error_code + ")") + ": " +
           run.reason + "\n\n" + what_to_do_for_schedule(schedule);
  note_refused(n);
  return n;
}

asio::awaitable<Status> FailureNotices::send(Notice notice, std::int64_t now_ms) {
  if (notice.to.empty()) co_return Status();
  std::shared_ptr<deliver::MailTransport> mail = mail_;  // held to the end of the send
  if (mail == nullptr) {
    co_return Status::error(ErrorKind::kPermanent, "no [smtp] relay is configured", "no-smtp");
  }
  deliver::MailMessage m;
  m.from = options_.from;
  for (const std::string& a : notice.to) m.to.push_back(deliver::Address{"", a});
  m.subject = notice.subject;
  const std::string& from = options_.from.email;
  std::string domain = from.substr(from.find('@') == std::string::npos ? 0 : from.find('@') + 1);
  m.message_id = deliver::derive_message_id(notice.key, "notice", domain);
  m.date_ms = now_ms;
  m.text = notice.text;
  auto mime = deliver::build_mime(m);
  if (!mime.ok()) co_return mime.status();
  deliver::Envelope envelope;
  envelope.from = from;
  envelope.to = notice.to;
  deliver::StringSource message(std::move(mime).value());
  auto sending = mail->send(std::move(envelope), message);
  auto sent = co_await std::move(sending);
  if (!sent.ok()) co_return sent.status();
  co_return Status();
}

asio::awaitable<NoticeOutcome> FailureNotices::run_finished(store::Run run,
                                                            bool marked_needs_reauth,
                                                            std::int64_t now_ms) {
  NoticeOutcome out;
  if (run.state != RunState::kFailed || run.schedule_id == 0) co_return out;
  struct Facts {
    store::Schedule schedule;
    store::Connection connection;
    int failures = 0;
    bool paused_now = false;
    bool access_new = false;  // an access failure the previous run did not have
  };
  const int limit = options_.failures_before_pause;
  const std::int64_t schedule_id = run.schedule_id;
  std::string pause_reason = "paused automatically after " + std::to_string(limit) +
                             " failed runs in a row; last error: " + run.reason;
  const std::int64_t run_id = run.id;
  const std::string code = is_access_failure(run.error_code) ? run.error_code : std::string();
  auto look = [schedule_id, run_id, limit, pause_reason, code](store::Store& s) -> Result<Facts> {
    Facts f;
    // Only the schedule the run ran for: a run whose row is gone (its
    // schedule removed while it ran) tells nobody.
    if (run_id != 0) {
      auto r = s.get_run(run_id);
      if (!r.ok() || r->schedule_id != schedule_id) {
        return Status::error(ErrorKind::kNotFound, "run " + std::to_string(run_id) +
                                                       " no longer belongs to schedule " +
                                                       std::to_string(schedule_id));
      }
    }
    auto sched = s.get_schedule(schedule_id);
    if (!sched.ok()) return sched.status();
    f.schedule = *sched;
    auto conn = s.get_connection(f.schedule.connection_id);
    if (!conn.ok()) return conn.status();
    f.connection = *conn;
    if ((limit <= 0 || f.schedule.paused) && code.empty()) return f;
    store::RunFilter filter;
    filter.schedule_id = schedule_id;
    // Occurrences that never started (skipped for overlap, missed) sit
    // between the failures when runs are slow; read past them.
    filter.limit = std::max(limit, 1) + kNeverStartedLookBack;
    auto runs = s.list_runs(filter);
    if (!runs.ok()) return runs.status();
    f.access_new = !code.empty() && !failed_before_with(*runs, run_id, code);
    if (limit <= 0 || f.schedule.paused) return f;
    f.failures = failures_in_a_row(*runs);
    if (f.failures >= limit) {
      if (Status st = s.set_schedule_paused(schedule_id, true, pause_reason); !st.ok()) return st;
      f.paused_now = true;
    }
    return f;
  };
  auto facts = co_await store_.run(std::move(look));
  if (!facts.ok()) {
    out.error = facts.status().message();
    co_return out;
  }
  std::vector<Notice> notices;
  if (marked_needs_reauth) {
    notices.push_back(reauth_notice(facts->schedule, facts->connection, run, options_));
  }
  if (facts->paused_now) {
    out.paused = true;
    notices.push_back(paused_notice(facts->schedule, facts->connection, run, facts->failures, options_));
  } else if (facts->access_new) {
    notices.push_back(access_notice(facts->schedule, facts->connection, run, options_));
  }
  co_await send_all(std::move(notices), now_ms, out);
  co_return out;
}

asio::awaitable<void> FailureNotices::send_all(std::vector<Notice> notices, std::int64_t now_ms,
                                               NoticeOutcome& out) {
  for (Notice& n : notices) {
    for (const std::string& r : n.refused) {
      if (std::find(out.refused.begin(), out.refused.end(), r) == out.refused.end()) out.refused.push_back(r);
    }
    std::string subject = n.subject;
    Status st = co_await send(std::move(n), now_ms);
    if (st.ok()) {
      out.sent.push_back(std::move(subject));
    } else {
      out.error = st.message();
    }
  }
}

asio::awaitable<NoticeOutcome> FailureNotices::connection_org_mismatch(store::Connection connection,
                                                                       std::int64_t now_ms) {
  NoticeOutcome out;
  std::vector<Notice> notices;
  notices.push_back(org_mismatch_notice(connection, now_ms, options_));
  co_await send_all(std::move(notices), now_ms, out);
  co_return out;
}

asio::awaitable<NoticeOutcome> FailureNotices::sync_marked_needs_reauth(store::Connection connection,
                                                                        std::string reason,
                                                                        std::int64_t now_ms) {
  NoticeOutcome out;
  const std::int64_t cid = connection.id;
  auto owners_of = [cid](store::Store& s) -> Result<std::vector<store::Schedule>> {
    auto all = s.list_schedules();
    if (!all.ok()) return all.status();
    std::vector<store::Schedule> owned;
    for (const store::Schedule& sc : *all) {
      if (sc.connection_id == cid && !sc.owner_email.empty()) owned.push_back(sc);
    }
    return owned;
  };
  auto owners = co_await store_.run(std::move(owners_of));
  if (!owners.ok()) {
    out.error = owners.status().message();
    co_return out;
  }
  std::vector<Notice> notices;
  notices.push_back(sync_reauth_notice(connection, *owners, reason, now_ms, options_));
  co_await send_all(std::move(notices), now_ms, out);
  co_return out;
}

}  // namespace reportd::jobs
