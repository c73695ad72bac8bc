#include "jobs/sync/sync_plan.hpp"

#include <boost/json.hpp>
#include <map>

#include "jobs/sync/next_fires.hpp"

namespace reportd::sync {
namespace {

namespace json = boost::json;

// Salesforce may store line breaks as CRLF and drops trailing white space:
// compare what we wrote with what we read without those differences.
std::string normalise_text(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') continue;
    out += s[i];
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == '\n' || out.back() == '\t')) {
    out.pop_back();
  }
  return out;
}

// Statuses that say the record is scheduled: a run's outcome or ours.
bool shows_scheduled(std::string_view status) {
  return status == kStatusScheduled || status == "Succeeded" || status == "Failed" ||
         status == "Skipped";
}

std::string choose_name(const ScheduleRecord& r, const store::Schedule* local,
                        const std::string& connection, std::set<std::string>& taken) {
  std::string plain = synced_name(connection, r.name, r.id, false);
  std::string with_id = synced_name(connection, r.name, r.id, true);
  if (local != nullptr && (local->name == plain || local->name == with_id)) return local->name;
  if (local != nullptr) taken.erase(local->name);  // renamed: its old name is free
  std::string name = taken.count(plain) == 0 ? plain : with_id;
  taken.insert(name);
  return name;
}

std::string over_cap_reason(const PlanContext& ctx) {
  return "this org already has " + std::to_string(ctx.max_schedules) +
         " schedules in reportd, the most it takes from one org: switch off (Active__c) or "
         "delete schedules this org no longer needs, or ask the reportd operator to raise "
         "sync.max_schedules_per_connection";
}

}  // namespace

std::string salesforce_datetime(date::sys_seconds t) { return date::format("%FT%T.000Z", t); }

std::string error_text(std::string_view reason) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < reason.size(); ++i) {
    if ((static_cast<unsigned char>(reason[i]) & 0xC0) == 0x80) continue;
    if (++chars > kMaxErrorChars) return std::string(reason.substr(0, i));
  }
  return std::string(reason);
}

namespace {

// One record's effect on the plan. `kept` counts the connection's synced
// schedules as the records are applied in order (the per-connection cap).
struct RecordPlanner {
  SyncPlan& plan;
  const PlanContext& ctx;
  std::set<std::string>& taken;
  std::size_t kept;

  void drop(const store::Schedule* local) {
    if (local == nullptr) return;
    plan.remove.push_back(*local);
    --kept;
  }

  void switched_off(const ScheduleRecord& r, const store::Schedule* local) {
    ++plan.inactive;
    drop(local);
    if (r.last_status == kStatusPaused && r.next_run.empty()) return;
    json::object body{{"Last_Status__c", kStatusPaused}, {"Next_Run__c", nullptr}, {kNextFiresField, nullptr}};
    // A reason for Invalid no longer applies to a switched-off record.
    if (r.last_status == kStatusInvalid) body["Last_Error__c"] = nullptr;
    plan.patches.push_back({r.id, kStatusPaused, json::serialize(body), r.modstamp});
  }

  void invalid(const ScheduleRecord& r, const store::Schedule* local, const Status& why) {
    std::string reason = error_text(why.message());
    ++plan.invalid;
    drop(local);
    if (r.last_status == kStatusInvalid && normalise_text(r.last_error) == normalise_text(reason) &&
        r.next_run.empty()) {
      return;  // already says so
    }
    plan.new_invalid.emplace_back(r.id, reason);
    json::object body{{"Last_Status__c", kStatusInvalid},
                      {"Last_Error__c", reason},
                      {"Next_Run__c", nullptr},
                      {kNextFiresField, nullptr}};
    plan.patches.push_back({r.id, kStatusInvalid, json::serialize(body), r.modstamp});
  }

  void valid(const ScheduleRecord& r, const store::Schedule* local, store::Schedule s) {
    s.name = choose_name(r, local, ctx.connection.name, taken);
    bool timing_changed = local == nullptr || local->cron != s.cron || local->tz != s.tz;
    if (local == nullptr) {
      s.created_at_ms = ctx.now_ms;
      plan.add.push_back(s);
      ++kept;
    } else {
      s.id = local->id;
      s.created_at_ms = local->created_at_ms;
      s.paused = local->paused;  // the operator's pause outlives record changes
      s.pause_reason = local->pause_reason;
      if (same_definition(*local, s)) {
        ++plan.unchanged;
      } else {
        plan.update.push_back(s);
      }
    }
    bool status_due = !shows_scheduled(r.last_status);
    if (!status_due && !timing_changed) return;
    json::object body;
    put_next_fires(body, s, ctx.now);
    if (status_due) {
      body["Last_Status__c"] = kStatusScheduled;
      body["Last_Error__c"] = nullptr;
    }
    plan.patches.push_back({r.id, status_due ? kStatusScheduled : "", json::serialize(body), r.modstamp});
  }
};

}  // namespace

SyncPlan plan_sync(const std::vector<ScheduleRecord>& records,
                   const std::vector<store::Schedule>& synced,
                   const std::set<std::string>& taken_names, const PlanContext& ctx) {
  SyncPlan plan;
  plan.cursor = ctx.cursor;
  std::map<std::string, const store::Schedule*> local_of;
  for (const store::Schedule& s : synced) local_of[s.sf_record_id] = &s;
  std::set<std::string> taken = taken_names;
  RecordPlanner planner{plan, ctx, taken, synced.size()};

  // A record read twice (changed while the pages were read) counts as last read.
  std::map<std::string, std::size_t> last;
  for (std::size_t i = 0; i < records.size(); ++i) last[records[i].id] = i;

  for (std::size_t i = 0; i < records.size(); ++i) {
    const ScheduleRecord& r = records[i];
    if (last[r.id] != i) continue;
    if (r.modstamp > plan.cursor) plan.cursor = r.modstamp;
    auto it = local_of.find(r.id);
    const store::Schedule* local = it == local_of.end() ? nullptr : it->second;
    if (r.deleted) {
      ++plan.deleted;
      planner.drop(local);
      continue;
    }
    if (!r.active) {
      planner.switched_off(r, local);
      continue;
    }
    auto mapped = schedule_from_record(r, ctx.connection, ctx.allowed_domains, ctx.defaults);
    if (mapped.ok() && local == nullptr && ctx.max_schedules != 0 && planner.kept >= ctx.max_schedules) {
      mapped = Status::error(ErrorKind::kLimit, over_cap_reason(ctx));
    }
    if (mapped.ok()) {
      planner.valid(r, local, std::move(mapped).value());
    } else {
      planner.invalid(r, local, mapped.status());
    }
  }

  if (ctx.full) {
    // Every record was read: a schedule whose record is gone for good (purged
    // from the recycle bin) goes too.
    for (const store::Schedule& s : synced) {
      if (last.count(s.sf_record_id) == 0) plan.remove.push_back(s);
    }
  }
  return plan;
}

}  // namespace reportd::sync
