#include "jobs/sync/write_back.hpp"

#include <boost/json.hpp>

#include "jobs/connections.hpp"
#include "jobs/sync/next_fires.hpp"
#include "jobs/sync/customer_text.hpp"
#include "jobs/sync/api_budget.hpp"
#include "jobs/sync/schedule_record.hpp"
#include "jobs/sync/sync_plan.hpp"

namespace reportd::sync {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

struct WriteBackInputs {
  store::Schedule schedule;
  store::Connection connection;
};

// nullopt: not a synced schedule (or gone), nothing to write. A run whose
// row is gone (its schedule was removed while it ran) writes nothing either:
// ids are never reused, and this checks that the run still belongs to it.
Result<std::optional<WriteBackInputs>> load(store::Store& s, std::int64_t schedule_id,
                                   std::int64_t run_id) {
  if (run_id != 0) {
    auto r = s.get_run(run_id);
    if (!r.ok() && r.status().kind() != ErrorKind::kNotFound) return r.status();
    if (!r.ok() || r->schedule_id != schedule_id) return std::optional<WriteBackInputs>();
  }
  auto sc = s.get_schedule(schedule_id);
  if (!sc.ok()) {
    if (sc.status().kind() == ErrorKind::kNotFound) return std::optional<WriteBackInputs>();
    return sc.status();
  }
  if (sc->origin != store::ScheduleOrigin::kSalesforce || sc->sf_record_id.empty()) return std::optional<WriteBackInputs>();
  auto c = s.get_connection(sc->connection_id);
  if (!c.ok()) return c.status();
  WriteBackInputs out;
  out.schedule = std::move(sc).value();
  out.connection = std::move(c).value();
  return std::optional<WriteBackInputs>(std::move(out));
}

}  // namespace

std::string_view status_word(store::RunState state) {
  switch (state) {
    case store::RunState::kSucceeded:
      return "Succeeded";
    case store::RunState::kSkipped:
    case store::RunState::kMissed:
      return "Skipped";
    default:
      return "Failed";
  }
}

std::string run_status_body(const store::Run& run, std::optional<date::sys_seconds> next,
                            std::string_view next_fires) {
  json::object o;
  const std::int64_t start_ms = run.started_at_ms > 0 ? run.started_at_ms : run.nominal_s * 1000;
  if (start_ms > 0) {
    o["Last_Run__c"] =
        salesforce_datetime(date::sys_seconds(std::chrono::seconds(start_ms / 1000)));
  } else {
    o["Last_Run__c"] = nullptr;
  }
  o["Last_Status__c"] = status_word(run.state);
  o["Last_Row_Count__c"] = run.rows;
  // The customer's text for the outcome, never the run's reason: that holds
  // the operator's detail (relay host, config hints, paths).
  if (std::string text = customer_error_text(run); text.empty()) {
    o["Last_Error__c"] = nullptr;
  } else {
    o["Last_Error__c"] = error_text(text);
  }
  if (next) {
    o["Next_Run__c"] = salesforce_datetime(*next);
  } else {
    o["Next_Run__c"] = nullptr;
  }
  if (next_fires.empty()) {
    o[kNextFiresField] = nullptr;
  } else {
    o[kNextFiresField] = next_fires;
  }
  return json::serialize(o);
}

WriteBack::WriteBack(store::StoreThread& store, jobs::ApiProvider& apis, jobs::Clock& clock,
                     int api_budget_percent)
    : store_(store), apis_(apis), clock_(clock), api_budget_percent_(api_budget_percent) {}

asio::awaitable<Result<WriteBackResult>> WriteBack::write(std::int64_t schedule_id,
                                                          store::Run run) {
  const std::int64_t run_id = run.id;
  auto read = [schedule_id, run_id](store::Store& s) { return load(s, schedule_id, run_id); };
  auto loaded = co_await store_.run(std::move(read));
  if (!loaded.ok()) co_return std::move(loaded).status().with_context("write-back");
  if (!loaded->has_value()) co_return WriteBackResult::kNotSynced;
  const WriteBackInputs& l = loaded->value();
  const std::string where = "write-back to " + l.schedule.sf_record_id;

  const jobs::Clock::WallTime wall = clock_.wall_now();
  // A run that could not even be loaded has no times: it ended now.
  if (run.started_at_ms == 0 && run.nominal_s == 0) {
    run.started_at_ms = wall.time_since_epoch().count();
  }
  if (Status st = jobs::usable(l.connection); !st.ok()) co_return std::move(st).with_context(where);
  auto api = apis_.lease(l.connection);
  if (!api.ok()) co_return std::move(api).status().with_context(where);
  std::shared_ptr<salesforce::Api> sf = std::move(api).value();  // held to the end
  auto usage = apis_.org_usage(l.connection.id);  // run-as runs' calls count too
  if (!usage) usage = sf->api_usage();
  if (over_api_budget(usage, api_budget_percent_)) {
    co_return WriteBackResult::kSkippedBudget;
  }
  const std::vector<date::sys_seconds> fires =
      upcoming_fires(l.schedule, std::chrono::floor<std::chrono::seconds>(wall));
  std::optional<date::sys_seconds> next;
  if (!fires.empty()) next = fires.front();
  std::string body = run_status_body(run, next, next_fires_text(fires, l.schedule.tz));
  Status st = co_await patch_schedule_record(*sf, l.schedule.sf_record_id, std::move(body));
  if (!st.ok()) co_return std::move(st).with_context(where);
  co_return WriteBackResult::kWritten;
}

}  // namespace reportd::sync
