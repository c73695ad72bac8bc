#pragma once
// Structured logging to stderr: "<priority>event=... key=value ..." lines,
// which journald reads as priority + message. This is the one redaction point
// (DESIGN.md §5): only allowlisted keys are printed as given; any other key's
// value is replaced by "[redacted]", so a record value or secret passed by
// mistake never reaches the journal. Thread-safe (one write(2) per line).

#include <initializer_list>
#include <string>
#include <string_view>

namespace reportd::log {

enum class Priority { kErr = 3, kWarning = 4, kNotice = 5, kInfo = 6, kDebug = 7 };

struct Field {
  std::string_view key;
  std::string value;
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  Field(std::string_view k, long long v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, long v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, int v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, unsigned long v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, double v) : key(k), value(std::to_string(v)) {}
};

// Formats one line without writing it (tests use this).
std::string format(Priority p, std::string_view event, std::initializer_list<Field> fields);

void write(Priority p, std::string_view event, std::initializer_list<Field> fields);

inline void err(std::string_view event, std::initializer_list<Field> f = {}) {
  write(Priority::kErr, event, f);
}
inline void warning(std::string_view event, std::initializer_list<Field> f = {}) {
  write(Priority::kWarning, event, f);
}
inline void notice(std::string_view event, std::initializer_list<Field> f = {}) {
  write(Priority::kNotice, event, f);
}
inline void info(std::string_view event, std::initializer_list<Field> f = {}) {
  write(Priority::kInfo, event, f);
}

}  // namespace reportd::log
