#pragma once
// Email delivery of one run: chooses how the outputs travel (attached, else
// zipped, else uploaded to Salesforce Files and linked, else a clear failure),
// then sends one message per recipient through the delivery ledger (DESIGN.md
// §4.4, channel kSmtp). Each row goes pending → sending before the send and,
// after it, to sent, failed (refused for good by the relay), back to pending
// (deferred: 4xx, network, or the relay itself at fault) or stays sending
// (outcome unknown: the retry resends with the same Message-ID). A retry
// skips rows already sent. All recipients share one MailSession (one SMTP
// connection, RSET between); each one's `sent` is committed as soon as the
// relay answered its final dot, before QUIT. Each recipient is checked against the schedule's
// allowed domains just before its message would leave; one outside them is
// recorded refused, with the reason, and never sent. An event-loop
// coroutine: ledger rows go through the store thread (DeliveryLedger), the
// zip's deflate through EmailJob::cpu.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "jobs/deliver/delivery_ledger.hpp"
#include "jobs/deliver/files_delivery.hpp"
#include "jobs/deliver/mail_transport.hpp"
#include "jobs/deliver/mime.hpp"
#include "jobs/deliver/recipients.hpp"
#include "jobs/render/html_summary.hpp"
#include "jobs/render/scratch.hpp"
#include "store/offload_thread.hpp"

namespace reportd::deliver {

struct EmailJob {
  std::int64_t run_id = 0;
  std::string occurrence_key;            // e.g. "42@1700000000": the Message-ID input
  std::vector<std::string> recipients;   // addresses as deliver::split_recipients() gives them
  DomainPolicy domains;                  // what the recipients may be (jobs::domain_policy())
  Address from;
  std::string subject;
  std::int64_t now_ms = 0;               // Date header and ledger times
  render::SummaryInput summary;          // attachments, links, notes are added here
  const render::HtmlSummary* tables = nullptr;  // counts and preview rows; may be null
  std::vector<OutputRef> outputs;        // views into scratch
  // Salesforce Files fallback when even the zip is too big; null: none.
  salesforce::Api* files_api = nullptr;
  std::string files_target;              // record to link uploads to; empty: the user's library
  std::string instance_url;              // for links, e.g. https://acme.my.salesforce.com
  // Where the zip fallback's deflate runs (seconds for a large report): the
  // pipeline's CPU thread. Null: where the coroutine is (tests, tools).
  store::OffloadThread* cpu = nullptr;
  // Asked after each recipient's `sending` row committed, right before the
  // message goes to the relay: false means this node lost the run's lease
  // (store/leased_store.hpp's may_send), and the delivery stops unsent with
  // store::kLeaseLost. Empty: always true.
  std::function<bool()> may_send;
};

enum class Packaging { kAttached, kZipped, kFilesLink };

// Pure: how outputs of these sizes travel under `max_message_bytes`
// (nullopt: too big even zipped, so Files or failure). Estimates base64 and
// MIME overhead conservatively.
std::uint64_t estimate_message_bytes(const std::vector<std::uint64_t>& attachment_sizes,
                                     std::uint64_t body_bytes);

struct EmailResult {
  Packaging packaging = Packaging::kAttached;
  int sent = 0;          // sent by this attempt
  int already_sent = 0;  // sent by an earlier attempt, skipped
  // For each recipient sent: when its final dot went and the relay's reply
  // was read, and how long until the ledger's `sent` was committed (the
  // window in which a kill makes a duplicate).
  std::vector<SentTiming> sent_commit_windows;
};

// Ok when every recipient has the message. Otherwise kTransient when some
// recipient is worth retrying (4xx, network, unknown outcome), kPermanent
// when some were refused (5xx, or by the domain check: code
// "recipient-not-allowed" / "no-allowed-domains") and nothing is left to
// retry, kLimit when the report cannot travel at all. Messages count
// recipients, never name values.
boost::asio::awaitable<Result<EmailResult>> deliver_email(DeliveryLedger& ledger, MailTransport& transport,
                                                          render::Scratch& scratch, EmailJob job);

}  // namespace reportd::deliver
