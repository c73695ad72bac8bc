#include "jobs/sync/next_fires.hpp"

#include <boost/json.hpp>
#include <cstdlib>

#include "jobs/cron.hpp"
#include "jobs/next_fire.hpp"
#include "jobs/sync/schedule_record.hpp"
#include "jobs/sync/sync_plan.hpp"

namespace reportd::sync {

namespace json = boost::json;

std::vector<date::sys_seconds> upcoming_fires(const store::Schedule& s, date::sys_seconds now,
                                              int count) {
  std::vector<date::sys_seconds> out;
  if (s.paused) return out;  // paused by the operator: it does not fire
  auto cron = jobs::parse_cron(s.cron);
  auto zone = jobs::find_zone(s.tz);
  if (!cron.ok() || !zone.ok()) return out;
  date::sys_seconds after = now;
  while (static_cast<int>(out.size()) < count) {
    auto fire = jobs::next_fire(*cron, **zone, after);
    if (!fire) break;  // never fires again
    out.push_back(fire->utc);
    after = fire->utc;
  }
  return out;
}

std::string next_fires_text(const std::vector<date::sys_seconds>& fires, std::string_view zone) {
  auto tz = jobs::find_zone(zone);
  std::string out;
  for (date::sys_seconds t : fires) {
    const std::chrono::seconds offset = tz.ok() ? (*tz)->get_info(t).offset : std::chrono::seconds(0);
    const auto minutes = std::abs(offset.count()) / 60;
    auto two = [](long long v) { return std::string(v < 10 ? "0" : "") + std::to_string(v); };
    if (!out.empty()) out += '\n';
    out += date::format("%FT%T", date::local_seconds((t + offset).time_since_epoch()));
    out += (offset.count() < 0 ? "-" : "+") + two(minutes / 60) + ":" + two(minutes % 60);
  }
  return out;
}

void put_next_fires(json::object& body, const store::Schedule& s, date::sys_seconds now) {
  const std::vector<date::sys_seconds> fires = upcoming_fires(s, now);
  if (fires.empty()) {
    body["Next_Run__c"] = nullptr;
    body[kNextFiresField] = nullptr;
    return;
  }
  body["Next_Run__c"] = salesforce_datetime(fires.front());
  body[kNextFiresField] = next_fires_text(fires, s.tz);
}

boost::asio::awaitable<Status> patch_schedule_record(salesforce::Api& sf, std::string id,
                                                     std::string body) {
  std::string object = kScheduleObject;
  Status st = co_await sf.patch_record(object, id, body);
  if (!refuses_field(st, kNextFiresField)) co_return st;
  json::value parsed = json::parse(body);
  if (!parsed.is_object() || !parsed.as_object().contains(kNextFiresField)) co_return st;
  parsed.as_object().erase(kNextFiresField);
  std::string older = json::serialize(parsed);
  co_return co_await sf.patch_record(object, id, older);
}

}  // namespace reportd::sync
