// RunPipeline's burst (jobs/burst.hpp): the report run once per recipient,
// as that recipient's own user, and mailed to them alone. One ledger row per
// recipient keeps what happened, the rows they got and whose access made
// them; a retry or a restart skips the recipients the ledger shows as done.
#include "jobs/burst.hpp"
#include "jobs/deliver/delivery_ledger.hpp"
#include "jobs/run_context.hpp"
#include "store/leases.hpp"

namespace reportd::jobs {

namespace asio = boost::asio;
using store::DeliveryState;

namespace {

constexpr std::string_view kSkipped = "skipped: ";

// A recipient an earlier attempt finished, added to the tally again.
bool count_finished(const store::Delivery& d, BurstTally& tally) {
  if (d.rows > 0) tally.rows += d.rows;
  switch (d.state) {
    case DeliveryState::kSent:
      ++tally.sent;
      return true;
    case DeliveryState::kFailed:
      ++tally.failed;
      tally.problem(Status::error(ErrorKind::kPermanent, d.recipient + ": " + d.error, "smtp"));
      return true;
    case DeliveryState::kRefused:
      if (d.error.rfind(kSkipped, 0) == 0) {
        ++tally.skipped;
      } else {
        ++tally.refused;
        // "code: message", as refused() wrote it.
        const std::size_t colon = d.error.find(": ");
        const std::string code = colon == std::string::npos ? "burst" : d.error.substr(0, colon);
        const std::string why = colon == std::string::npos ? d.error : d.error.substr(colon + 2);
        tally.problem(Status::error(ErrorKind::kPermanent, why, code));
      }
      return true;
    default:
      return false;
  }
}

// The row of a recipient reportd did not send to, and why ("code: message",
// or `prefix` and the message).
store::Delivery refused(store::Delivery d, const Status& why, std::string_view prefix,
                        std::int64_t now_ms) {
  d.state = DeliveryState::kRefused;
  d.error = prefix.empty() ? why.code() + ": " + why.message() : std::string(prefix) + why.message();
  d.updated_at_ms = now_ms;
  return d;
}

}  // namespace

asio::awaitable<Status> RunPipeline::burst(Context& ctx) {
  ctx.run.state = store::RunState::kDelivering;
  if (Status st = co_await save(ctx.run); !st.ok()) co_return st;
  const std::vector<std::string> recipients = ctx.schedule.recipients;
  salesforce::Api* lookup = ctx.api;  // the integration user's
  BurstTally tally;
  tally.recipients = recipients.size();
  Status st;
  for (const std::string& to : recipients) {
    ctx.schedule.recipients = {to};
    st = co_await burst_one(ctx, *lookup, to, tally);
    if (ctx.outputs) ctx.outputs->dispose();
    ctx.outputs.reset();
    ctx.api = lookup;
    ctx.run_as_user.clear();
    if (!st.ok()) break;
  }
  ctx.schedule.recipients = recipients;
  ctx.run.rows = tally.rows;
  ctx.run.bytes = tally.bytes;
  ctx.run.truncated = tally.truncated;
  if (!st.ok()) co_return st;
  co_return tally.outcome();
}

// One recipient: their user, their report, their message. A refusal or a
// message the relay refused is theirs alone (the tally keeps it); an error
// that would hit every recipient (the store, the relay, the lookup) stops
// the burst.
asio::awaitable<Status> RunPipeline::burst_one(Context& ctx, salesforce::Api& lookup,
                                               std::string to, BurstTally& tally) {
  deliver::DeliveryLedger ledger(deps_.store);
  auto ensure = ledger.ensure(ctx.run.id, store::DeliveryChannel::kSmtp, to, "", now_ms());
  auto row = co_await std::move(ensure);
  if (!row.ok()) co_return Status(row.status()).with_context("burst: ledger");
  store::Delivery d = std::move(row).value();
  if (count_finished(d, tally)) co_return Status();

  UsernameSink users;
  auto query = lookup.query(burst_user_query(to), false, users);
  Status found = co_await std::move(query);
  if (!found.ok()) co_return std::move(found).with_context("burst: looking up the user of " + to);
  if (users.usernames().size() != 1) {
    Status why = burst_refusal(to, users.usernames().size());
    ++tally.refused;
    tally.problem(why);
    auto write = ledger.update(refused(std::move(d), why, {}, now_ms()));
    co_return co_await std::move(write);
  }
  const std::string username = users.usernames().front();
  d.ran_as = username;
  auto api = deps_.apis.lease_as(ctx.connection, username);
  Status st = api.ok() ? Status() : run_as_refusal(api.status(), username);
  if (api.ok()) {
    ctx.api = api->get();
    ctx.run_as_user = username;
    st = co_await fetch(ctx);
  }
  if (!st.ok() && st.code().rfind("run-as-", 0) != 0) co_return st;
  if (!st.ok()) {
    ++tally.refused;
    tally.problem(Status::error(ErrorKind::kPermanent, to + ": " + st.message(), st.code()));
    auto write = ledger.update(refused(std::move(d), st, {}, now_ms()));
    co_return co_await std::move(write);
  }

  const render::HtmlSummary& summary = ctx.outputs->summary();
  d.rows = static_cast<std::int64_t>(summary.total_rows());
  tally.rows += d.rows;
  tally.bytes += static_cast<std::int64_t>(ctx.outputs->bytes());
  tally.truncated = tally.truncated || summary.any_truncated();
  d.updated_at_ms = now_ms();
  Condition c = RunPolicy::condition(d.rows, ctx.schedule.send_when_empty, ctx.schedule.min_rows, false);
  if (!c.deliver) {
    ++tally.skipped;
    auto write = ledger.update(refused(std::move(d), Status::error(ErrorKind::kPermanent, c.reason),
                                      kSkipped, now_ms()));
    co_return co_await std::move(write);
  }
  auto write = ledger.update(d);  // the rows and the user, before the message leaves
  if (Status saved = co_await std::move(write); !saved.ok()) {
    co_return std::move(saved).with_context("burst: ledger");
  }
  st = co_await deliver(ctx);
  if (st.ok()) {
    ++tally.sent;
  } else if (st.kind() == ErrorKind::kPermanent && !store::is_lease_lost(st)) {
    ++tally.failed;  // the ledger row says why
    tally.problem(st);
    st = Status();
  }
  co_return st;
}

}  // namespace reportd::jobs
