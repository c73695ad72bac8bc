#pragma once
// `reportd cron explain`: the normalised expression and its next N fires,
// local and UTC, marking those a DST change moved. Pure: it returns the text
// (or JSON) that the CLI prints; the caller passes in the current time.

#include <optional>
#include <string>

#include <date/date.h>

#include "table/status.hpp"

namespace reportd::jobs {

struct ExplainOptions {
  std::string expression;           // the cron expression, as typed
  std::string zone = "UTC";         // IANA zone (--tz)
  std::optional<std::string> from;  // RFC 3339 instant (--from); default: now
  int count = 10;                   // how many fires (-n), 1-1000
  bool json = false;                // --output json
};

// Errors (kInvalidArgument) name what was wrong: the cron field, the zone,
// --from or -n.
Result<std::string> cron_explain(const ExplainOptions& options, date::sys_seconds now);

// "2026-03-29T01:00:00Z" or "2026-03-29T03:00:00+02:00", fractions allowed.
Result<date::sys_seconds> parse_rfc3339(const std::string& text);

}  // namespace reportd::jobs
