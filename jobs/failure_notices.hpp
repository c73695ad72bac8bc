#pragma once
// FailureNotices: what happens after a run fails, beyond the run's own row.
// - The run that finds a connection's grant revoked (it marked the connection
//   needs-reauth) sends one notice: the connection needs a person. A schedule
//   sync that finds it revoked marks it the same way and sends the same notice.
// - A schedule whose last `failures_before_pause` runs all failed is paused,
//   with the reason shown by `schedules list`, and one notice is sent.
// - A run that failed for access (is_access_failure()) sends one notice,
//   unless the previous run failed the same way (or the pause notice says it).
// Notices are one plain-text e-mail to the schedule's owner and the
// operator's address, saying what failed, why and what to do. They never
// hold record values: run reasons are built from codes and counts only.
// The owner (for a synced schedule the record's Owner.Email) is validated
// and checked against the connection's allowed domains like any recipient;
// one refused is named in the notice and in NoticeOutcome::refused.
// Event-loop coroutine; store calls go through the store thread.

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "jobs/deliver/mail_transport.hpp"
#include "jobs/deliver/mime.hpp"
#include "jobs/schedule_check.hpp"
#include "store/store_thread.hpp"
#include "store/records.hpp"

namespace reportd::jobs {

struct NoticeOptions {
  int failures_before_pause = 5;  // 0: never pause automatically
  std::string operator_email;     // empty: only the schedule's owner hears
  deliver::Address from;
  DomainRules domains;  // the config's recipient domain lists, for owners
};

// What a notice says; pure, for tests and the log.
struct Notice {
  std::string subject;
  std::string text;
  std::vector<std::string> to;
  std::string key;  // Message-ID input: the same event never mails twice
  std::vector<std::string> refused;  // owners not told, each with the reason
};

// What an operator types to connect `connection_name` again (a name holds
// only letters, digits, '-', '_' and '.', so it needs no quoting).
std::string reauth_command(const std::string& connection_name);
// The error of anything refused because `connection` is marked needs-reauth
// (a run, `reportd sync`): kAuth, code "needs-reauth", with the fix.
Status needs_reauth_error(const store::Connection& connection);

// Marks the connection needs-reauth with `reason`: the one store call that a
// run and a schedule sync make when Salesforce refuses the stored grant.
// True when this call changed the status; false when it was already marked
// (a run and a sync that shared one refused token request both get here, and
// only the first one sends the notice).
boost::asio::awaitable<Result<bool>> mark_needs_reauth(store::StoreThread& store, std::int64_t connection_id,
                                                       std::string reason);

// The notice for a connection that needs re-authorization.
Notice reauth_notice(const store::Schedule& schedule, const store::Connection& connection,
                     const store::Run& run, const NoticeOptions& options);
// The same notice when a schedule sync found the grant revoked: no run is
// involved, so it goes to the operator and the owners of the connection's
// `schedules`, keyed by the time it was found (`now_ms`).
Notice sync_reauth_notice(const store::Connection& connection,
                          const std::vector<store::Schedule>& schedules, const std::string& reason,
                          std::int64_t now_ms, const NoticeOptions& options);
// The notice for a connection marked org-mismatch (its status_reason says
// which token was refused). To the operator only: the credential is the
// operator's, and no schedule's data was touched.
Notice org_mismatch_notice(const store::Connection& connection, std::int64_t now_ms,
                           const NoticeOptions& options);
// Whether a failure is one of access (code "run-as-..." or "burst-..."):
// Salesforce refused the run's user, or a burst refused a recipient. The
// customer's admin must change something; retrying changes nothing.
bool is_access_failure(const std::string& error_code);
// The notice for a run that failed for access, sent once per kind: only
// when the schedule's previous run that started did not fail with the same
// code. Names the user or recipient and the fix (the run's reason).
Notice access_notice(const store::Schedule& schedule, const store::Connection& connection,
                     const store::Run& run, const NoticeOptions& options);
// The notice for a schedule paused after `failures` failed runs in a row.
Notice paused_notice(const store::Schedule& schedule, const store::Connection& connection,
                     const store::Run& run, int failures, const NoticeOptions& options);
// How many of `runs` (newest first) failed before the first that ran and
// did not fail; occurrences that never started are looked past.
int failures_in_a_row(const std::vector<store::Run>& newest_first);

struct NoticeOutcome {
  bool paused = false;  // the schedule was paused: the scheduler must reload
  std::vector<std::string> sent;  // subjects of the notices sent
  std::string error;              // why a notice could not be sent, if so
  std::vector<std::string> refused;  // owners the domain check kept from a notice, and why
};

class FailureNotices {
 public:
  // `mail`: null when no relay is configured. Each send holds the transport
  // it started with, so set_mail() (SIGHUP) never frees one in use.
  FailureNotices(store::StoreThread& store, std::shared_ptr<deliver::MailTransport> mail,
                 NoticeOptions options)
      : store_(store), mail_(std::move(mail)), options_(std::move(options)) {}

  void set_mail(std::shared_ptr<deliver::MailTransport> mail) { mail_ = std::move(mail); }
  void set_options(NoticeOptions options) { options_ = std::move(options); }

  // Call after every finished run; does nothing unless it failed.
  boost::asio::awaitable<NoticeOutcome> run_finished(store::Run run, bool marked_needs_reauth,
                                                     std::int64_t now_ms);
  // Call after a token of another org was refused and `connection` marked
  // org-mismatch (jobs::OrgClients::set_on_org_mismatch).
  boost::asio::awaitable<NoticeOutcome> connection_org_mismatch(store::Connection connection,
                                                                std::int64_t now_ms);
  // Call after a schedule sync marked `connection` needs-reauth for `reason`.
  boost::asio::awaitable<NoticeOutcome> sync_marked_needs_reauth(store::Connection connection,
                                                                 std::string reason,
                                                                 std::int64_t now_ms);

 private:
  boost::asio::awaitable<Status> send(Notice notice, std::int64_t now_ms);
  // Sends each notice, noting in `out` the subjects sent and the last error.
  boost::asio::awaitable<void> send_all(std::vector<Notice> notices, std::int64_t now_ms,
                                        NoticeOutcome& out);

  store::StoreThread& store_;
  std::shared_ptr<deliver::MailTransport> mail_;
  NoticeOptions options_;
};

}  // namespace reportd::jobs
