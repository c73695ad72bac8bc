#pragma once
// Test helpers: RFC 3339 text <-> sys_seconds, so expectations read as times.

#include <stdexcept>
#include <string>

#include <date/date.h>

#include "jobs/cron_explain.hpp"

namespace reportd::jobs::test {

inline date::sys_seconds at(const std::string& rfc3339) {
  auto t = parse_rfc3339(rfc3339);
  if (!t.ok()) throw std::invalid_argument(t.status().message());
  return *t;
}

inline std::string text(date::sys_seconds t) { return date::format("%FT%TZ", t); }

}  // namespace reportd::jobs::test
