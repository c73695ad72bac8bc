#pragma once
// What reportd writes back about a schedule's future, the daemon being the
// authority on it: Next_Run__c (the next fire, UTC) and Next_Fires__c (the
// next five, one per line, in the schedule's zone as RFC 3339 with the UTC
// offset: "2026-03-02T08:00:00+01:00"). And the PATCH that writes them, for
// an org whose object predates Next_Fires__c too. Pure but for the PATCH,
// which runs on the awaiting coroutine's executor.

#include <date/date.h>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "salesforce_client/api.hpp"
#include "store/records.hpp"

namespace reportd::sync {

inline constexpr int kNextFiresWritten = 5;
inline constexpr const char* kNextFiresField = "Next_Fires__c";

// The next `count` fires strictly after `now`; empty when the schedule is
// paused, its cron or zone does not parse, or it never fires again.
std::vector<date::sys_seconds> upcoming_fires(const store::Schedule& s, date::sys_seconds now,
                                              int count = kNextFiresWritten);

// Next_Fires__c's text for `fires` in `zone` ("" for none; unknown zone: UTC).
std::string next_fires_text(const std::vector<date::sys_seconds>& fires, std::string_view zone);

// Sets Next_Run__c and Next_Fires__c in `body` (null when it does not fire).
void put_next_fires(boost::json::object& body, const store::Schedule& s, date::sys_seconds now);

// PATCHes `body` onto the schedule record `id`. When Salesforce refuses
// Next_Fires__c (INVALID_FIELD: the org deployed the object before the
// field existed), PATCHes again without it, so the rest is still written.
boost::asio::awaitable<Status> patch_schedule_record(salesforce::Api& sf, std::string id,
                                                     std::string body);

}  // namespace reportd::sync
