#pragma once
// FailureNotices: what happens after a run fails, beyond the run's own row.
// - The run that finds a connection's grant revoked (it marked the connection
//   needs-reauth) sends one notice: the connection needs a person.
// - A schedule whose last `failures_before_pause` runs all failed is paused,
//   with the reason shown by `schedules list`, and one notice is sent.
// Notices are one plain-text e-mail to the schedule's owner and the
// operator's address, saying what failed, why and what to do. They never
// hold record values: run reasons are built from codes and counts only.
// Event-loop coroutine; store calls go through the store thread.

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "jobs/deliver/mail_transport.hpp"
#include "jobs/deliver/mime.hpp"
#include "jobs/store_thread.hpp"
#include "store/records.hpp"

namespace reportd::jobs {

struct NoticeOptions {
  int failures_before_pause = 5;  // 0: never pause automatically
  std::string operator_email;     // empty: only the schedule's owner hears
  deliver::Address from;
};

// What a notice says; pure, for tests and the log.
struct Notice {
  std::string subject;
  std::string text;
  std::vector<std::string> to;
  std::string key;  // Message-ID input: the same event never mails twice
};

// The notice for a connection that needs re-authorization.
Notice reauth_notice(const store::Schedule& schedule, const store::Connection& connection,
                     const store::Run& run, const NoticeOptions& options);
// The notice for a schedule paused after `failures` failed runs in a row.
Notice paused_notice(const store::Schedule& schedule, const store::Run& run, int failures,
                     const NoticeOptions& options);
// How many of `runs` (newest first) failed before the first that ran and
// did not fail; occurrences that never started are looked past.
int failures_in_a_row(const std::vector<store::Run>& newest_first);

struct NoticeOutcome {
  bool paused = false;  // the schedule was paused: the scheduler must reload
  std::vector<std::string> sent;  // subjects of the notices sent
  std::string error;              // why a notice could not be sent, if so
};

class FailureNotices {
 public:
  FailureNotices(StoreThread& store, deliver::MailTransport* mail, NoticeOptions options)
      : store_(store), mail_(mail), options_(std::move(options)) {}

  void set_mail(deliver::MailTransport* mail) { mail_ = mail; }
  void set_options(NoticeOptions options) { options_ = std::move(options); }

  // Call after every finished run; does nothing unless it failed.
  boost::asio::awaitable<NoticeOutcome> run_finished(store::Run run, bool marked_needs_reauth,
                                                     std::int64_t now_ms);

 private:
  boost::asio::awaitable<Status> send(Notice notice, std::int64_t now_ms);

  StoreThread& store_;
  deliver::MailTransport* mail_;
  NoticeOptions options_;
};

}  // namespace reportd::jobs
