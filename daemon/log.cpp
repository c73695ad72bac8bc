#include "daemon/log.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>

namespace reportd::log {
namespace {

// Keys whose values are metadata, never record values or secrets. Error
// messages are allowed because every error in reportd is built to carry
// names, codes and counts only.
constexpr std::string_view kAllowed[] = {
    "attempt",   "bytes",      "code",        "config",     "connection", "count",
    "delay_ms",  "deliveries", "duration_ms", "error",      "file",       "format",
    "id",        "instance",   "key_id",      "kind",       "lag_ms",     "listen",
    "next",      "nominal",    "org",         "path",       "pid",        "reason",
    "recipients", "rows",      "run",         "schedule",   "schedules",  "signal",
    "state",     "state_dir",  "status",      "timeout_ms", "tz",         "url",
    "version",   "when",       "channel",     "connections", "commit_us",
    "message_ids", "dot_at_us", "read_at_us",  // mail.sent: Message-IDs (hashes) and times
    "queue_us",  "write_us",   "resume_us",
    // schedule sync (counts, record ids and cursors; never field values)
    "added",     "updated",    "removed",     "invalid",    "records",    "record",
    "patched",   "held",       "cursor",
    "node",   // a node's random id (daemon/cluster.hpp)
    "store",  // the SQLite file or "postgresql HOST:PORT/DB" (a URL never holds a password)
};

bool allowed(std::string_view key) {
  return std::find(std::begin(kAllowed), std::end(kAllowed), key) != std::end(kAllowed);
}

// Quotes values that would break key=value parsing; control characters
// become escapes so one event is always one line.
void append_value(std::string& out, std::string_view v) {
  bool quote = v.empty() || v.find_first_of(" \"=\\") != std::string_view::npos;
  for (unsigned char c : v) quote = quote || c < 0x20 || c == 0x7f;
  if (!quote) {
    out += v;
    return;
  }
  out += '"';
  for (unsigned char c : v) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

}  // namespace

std::string format(Priority p, std::string_view event, std::initializer_list<Field> fields) {
  std::string line = "<" + std::to_string(static_cast<int>(p)) + ">event=";
  append_value(line, event);
  for (const Field& f : fields) {
    line += ' ';
    line += f.key;
    line += '=';
    append_value(line, allowed(f.key) ? std::string_view(f.value) : "[redacted]");
  }
  line += '\n';
  return line;
}

void write(Priority p, std::string_view event, std::initializer_list<Field> fields) {
  std::string line = format(p, event, fields);
  // One write per line keeps lines whole when several threads log.
  ssize_t rc = ::write(STDERR_FILENO, line.data(), line.size());
  (void)rc;
}

}  // namespace reportd::log
