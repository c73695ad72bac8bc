#include "jobs/sync/schedule_sync.hpp"

#include <set>

#include "jobs/schedule_check.hpp"
#include "jobs/sync/api_budget.hpp"
#include "jobs/sync/next_fires.hpp"
#include "jobs/sync/record_mapping.hpp"
#include "jobs/sync/schedule_record.hpp"
#include "jobs/sync/sync_plan.hpp"

namespace reportd::sync {
namespace {

namespace asio = boost::asio;

struct Loaded {
  std::string cursor;
  std::vector<store::Schedule> synced;
};

Result<Loaded> load_state(store::Store& s, std::int64_t connection_id) {
  Loaded out;
  auto state = s.get_sync_state(connection_id);
  if (!state.ok()) return state.status();
  if (state->has_value()) out.cursor = state->value().modstamp;
  auto synced = s.list_synced_schedules(connection_id);
  if (!synced.ok()) return synced.status();
  out.synced = std::move(synced).value();
  return out;
}

// Of the names the records would take ("<connection>/<Name>"), those some
// schedule, local or synced, has already: all plan_sync() asks about. Looked
// up one by one, not by listing every schedule of every org (with 1,000
// orgs of 10 schedules, each org's sync read 10,000 rows).
Result<std::set<std::string>> taken_names(store::Store& s, const std::string& connection,
                                          const std::vector<ScheduleRecord>& records) {
  std::set<std::string> taken;
  for (const ScheduleRecord& r : records) {
    std::string plain = synced_name(connection, r.name, r.id, false);
    if (taken.count(plain) > 0) continue;
    auto found = s.find_schedule(plain);
    if (found.ok()) {
      taken.insert(std::move(plain));
    } else if (found.status().kind() != ErrorKind::kNotFound) {
      return found.status();
    }
  }
  return taken;
}

struct Applied {
  int added = 0, updated = 0, removed = 0;
  std::vector<std::pair<std::string, Status>> errors;  // record id, what failed
};

// Removals first, so a name they free can be taken by an add or a rename.
Applied apply_plan(store::Store& s, const SyncPlan& plan) {
  Applied out;
  for (const store::Schedule& sc : plan.remove) {
    Status st = s.remove_schedule(sc.name);
    if (st.ok() || st.kind() == ErrorKind::kNotFound) {
      ++out.removed;
    } else {
      out.errors.emplace_back(sc.sf_record_id, std::move(st).with_context("remove " + sc.name));
    }
  }
  for (const store::Schedule& sc : plan.update) {
    Status st = s.update_schedule(sc);
    if (st.ok()) {
      ++out.updated;
    } else {
      out.errors.emplace_back(sc.sf_record_id, std::move(st).with_context("update " + sc.name));
    }
  }
  for (const store::Schedule& sc : plan.add) {
    auto id = s.add_schedule(sc);
    if (id.ok()) {
      ++out.added;
    } else {
      out.errors.emplace_back(sc.sf_record_id,
                              std::move(id).status().with_context("add " + sc.name));
    }
  }
  return out;
}

std::string summary(const std::vector<Status>& errors, int held_for_budget) {
  std::string out;
  if (!errors.empty()) {
    out = errors.front().message();
    if (errors.size() > 1) out += " (and " + std::to_string(errors.size() - 1) + " more)";
  }
  if (held_for_budget > 0) {
    if (!out.empty()) out += "; ";
    out += std::to_string(held_for_budget) +
           " status update(s) wait while the org's API usage is above the budget";
  }
  return out;
}

}  // namespace

ScheduleSync::ScheduleSync(store::StoreThread& store, jobs::ApiProvider& apis, jobs::Clock& clock,
                           SyncOptions options)
    : store_(store), apis_(apis), clock_(clock), options_(std::move(options)) {}

asio::awaitable<Status> ScheduleSync::record(std::int64_t connection_id, std::string cursor,
                                             std::string error) {
  store::SyncState state;
  state.connection_id = connection_id;
  state.modstamp = std::move(cursor);
  state.synced_at_ms = clock_.wall_now().time_since_epoch().count();
  state.error = std::move(error);
  auto put = [state](store::Store& s) { return s.put_sync_state(state); };
  co_return co_await store_.run(std::move(put));
}

asio::awaitable<Status> ScheduleSync::revoked(store::Connection connection, Status why) {
  if (why.code() == "org-mismatch") {
    // A token of another org: the client's token check has marked the
    // connection and told the operator already.
    apis_.forget(connection.id);
    co_return why;
  }
  // The same store call as the run pipeline's; the reason says where it was found.
  Result<bool> marked = co_await jobs::mark_needs_reauth(store_, connection.id, why.message());
  apis_.forget(connection.id);
  if (!marked.ok()) {
    co_return Status::error(why.kind(),
                            why.message() + "; marking the connection needs-reauth failed: " +
                                marked.status().message(),
                            why.code());
  }
  std::string told;
  if (notices_ != nullptr && *marked) {  // a run that shared the refusal may have told already
    const std::int64_t now_ms = clock_.wall_now().time_since_epoch().count();
    jobs::NoticeOutcome n =
        co_await notices_->sync_marked_needs_reauth(connection, why.message(), now_ms);
    if (!n.error.empty()) told = " (the re-auth notice could not be sent: " + n.error + ")";
  }
  co_return Status::error(why.kind(),
                          why.message() + "; connection " + connection.name +
                              " is now marked needs-reauth" + told +
                              ": it is not synced or run until it is connected again with `" +
                              jobs::reauth_command(connection.name) + "`",
                          why.code());
}

asio::awaitable<Status> ScheduleSync::read_failed(store::Connection connection, std::string cursor,
                                                  Status read) {
  const std::string where = "sync " + connection.name + ": read " + kScheduleObject;
  if (read.kind() == ErrorKind::kAuth) {
    // invalid_grant and friends: a person must reconnect the org. Marked
    // now, so that neither the next sync nor the org's runs ask for a
    // token again (DESIGN.md §4.4: nothing retries in a loop).
    const std::int64_t cid = connection.id;
    auto marking = revoked(std::move(connection), std::move(read).with_context(where));
    read = co_await std::move(marking);
    (void)co_await record(cid, cursor, read.message());
    co_return read;
  }
  if (read.code() == "INVALID_TYPE") {
    read = Status::error(read.kind(),
                         read.message() +
                             "; deploy the schedule object (salesforce/ in "
                             "reportd's sources) to this org",
                         read.code());
  }
  read = std::move(read).with_context(where);
  (void)co_await record(connection.id, cursor, read.message());
  co_return read;
}

asio::awaitable<Status> ScheduleSync::read_records(const store::Connection& connection,
                                                   salesforce::Api& sf, const std::string& cursor,
                                                   std::unique_ptr<RecordSink>& sink,
                                                   SyncReport& report) {
  // Inactive and deleted records are read too: room for ten per schedule.
  sink = std::make_unique<RecordSink>(options_.max_schedules * 10);
  Status read = co_await sf.query(schedule_query(cursor), true, *sink);
  if (!refuses_field(read, kBurstField)) co_return read;
  // The object predates Burst__c (salesforce/ not deployed again): as the
  // write-back does for Next_Fires__c, without the field. Nothing bursts.
  sink = std::make_unique<RecordSink>(options_.max_schedules * 10);
  read = co_await sf.query(schedule_query(cursor, kBurstField), true, *sink);
  if (read.ok() && told_lacks_burst_.insert(connection.id).second) {
    report.warnings.push_back(
        std::string("the org's ") + kScheduleObject + " has no " + kBurstField +
        " field (INVALID_FIELD), so its schedules are read without it and none bursts; an admin "
        "of the org should deploy reportd's salesforce/ package again (sf project deploy start)");
  }
  co_return read;
}

asio::awaitable<int> ScheduleSync::write_statuses(store::Connection connection, salesforce::Api& sf,
                                                  const std::vector<StatusPatch>& patches, SyncReport& report,
                                                  std::vector<std::string>& held) {
  const std::string where = "sync " + connection.name;
  int held_for_budget = 0;
  bool auth_failed = false;
  for (const StatusPatch& patch : patches) {
    if (auth_failed || over_api_budget(sf.api_usage(), options_.api_budget_percent)) {
      ++report.held;
      held_for_budget += auth_failed ? 0 : 1;
      held.push_back(patch.modstamp);
      continue;
    }
    auto patching = patch_schedule_record(sf, patch.record_id, patch.body);
    Status written = co_await std::move(patching);
    if (written.ok()) {
      ++report.patched;
      continue;
    }
    ++report.held;
    held.push_back(patch.modstamp);
    auth_failed = written.kind() == ErrorKind::kAuth;
    written = std::move(written).with_context(where + ": write the status of " + patch.record_id);
    if (auth_failed) written = co_await revoked(connection, std::move(written));
    report.errors.push_back(std::move(written));
  }
  co_return held_for_budget;
}

asio::awaitable<Result<SyncReport>> ScheduleSync::sync(store::Connection connection, bool full) {
  const std::int64_t cid = connection.id;
  const std::string where = "sync " + connection.name;
  auto load = [cid](store::Store& s) { return load_state(s, cid); };
  auto loaded = co_await store_.run(std::move(load));
  if (!loaded.ok()) co_return std::move(loaded).status().with_context(where);

  SyncReport report;
  const std::string cursor = full ? std::string() : loaded->cursor;
  report.full = cursor.empty();

  auto api = apis_.lease(connection);
  if (!api.ok()) {
    Status st = std::move(api).status().with_context(where);
    (void)co_await record(cid, loaded->cursor, st.message());
    co_return st;
  }
  std::shared_ptr<salesforce::Api> sf = std::move(api).value();  // held to the end
  std::unique_ptr<RecordSink> records;
  Status read = co_await read_records(connection, *sf, cursor, records, report);
  if (!read.ok()) {
    auto failed = read_failed(connection, loaded->cursor, std::move(read));
    co_return co_await std::move(failed);
  }

  PlanContext ctx;
  ctx.connection = connection;
  ctx.allowed_domains = jobs::allowed_domains(connection, options_.domains);
  ctx.defaults = options_.defaults;
  const jobs::Clock::WallTime now = clock_.wall_now();
  ctx.now = std::chrono::floor<std::chrono::seconds>(now);
  ctx.now_ms = now.time_since_epoch().count();
  ctx.full = report.full;
  ctx.cursor = cursor;
  ctx.max_schedules = options_.max_schedules;
  RecordSink& sink = *records;
  const std::vector<ScheduleRecord>* read_records = &sink.records();
  auto names = [read_records, &connection](store::Store& s) {
    return taken_names(s, connection.name, *read_records);
  };
  auto taken = co_await store_.run(std::move(names));
  if (!taken.ok()) co_return std::move(taken).status().with_context(where);
  const SyncPlan plan = plan_sync(sink.records(), loaded->synced, *taken, ctx);
  std::map<std::string, std::string> modstamp_of;
  for (const ScheduleRecord& r : sink.records()) modstamp_of[r.id] = r.modstamp;

  const SyncPlan* p = &plan;
  auto apply = [p](store::Store& s) { return apply_plan(s, *p); };
  Applied applied = co_await store_.run(std::move(apply));

  // A record whose change did not fully land is read again next time: the
  // cursor stops at the oldest of them (the query asks for ">=").
  std::string hold_at;
  auto hold = [&hold_at](const std::string& modstamp) {
    if (hold_at.empty() || modstamp < hold_at) hold_at = modstamp;
  };
  for (auto& [record_id, st] : applied.errors) {
    hold(modstamp_of[record_id]);
    report.errors.push_back(std::move(st));
  }
  std::vector<std::string> held;
  auto writing = write_statuses(connection, *sf, plan.patches, report, held);
  const int held_for_budget = co_await std::move(writing);
  for (const std::string& modstamp : held) hold(modstamp);

  report.records = sink.records().size();
  report.added = applied.added;
  report.updated = applied.updated;
  report.removed = applied.removed;
  report.unchanged = plan.unchanged;
  report.invalid = plan.invalid;
  report.inactive = plan.inactive;
  report.deleted = plan.deleted;
  report.invalid_records = plan.new_invalid;
  report.cursor = hold_at.empty() ? plan.cursor : hold_at;
  Status saved = co_await record(cid, report.cursor, summary(report.errors, held_for_budget));
  if (!saved.ok()) report.errors.push_back(std::move(saved).with_context(where));
  co_return report;
}

}  // namespace reportd::sync
