#pragma once
// Wall-clock helpers for CLI output.

#include <chrono>
#include <cstdint>
#include <ctime>
#include <string>

namespace reportd::daemon {

inline std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "2026-11-29T21:30:00Z", or "-" for 0.
inline std::string iso_utc(std::int64_t ms) {
  if (ms == 0) return "-";
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// "3s", "5min", "2h", "4d" for a duration in milliseconds.
inline std::string human_duration(std::int64_t ms) {
  std::int64_t s = ms / 1000;
  if (s < 120) return std::to_string(s) + "s";
  if (s < 7200) return std::to_string(s / 60) + "min";
  if (s < 172800) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

}  // namespace reportd::daemon
