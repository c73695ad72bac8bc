#include "value.hpp"

#include <cstdio>

namespace reportd::sim {
namespace {

struct Civil {
  std::int64_t y;
  unsigned m, d;
};

// Howard Hinnant's days_from_civil inverse.
Civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

std::string datetime_core(std::int64_t secs) {
  std::int64_t days = secs / 86400;
  std::int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  Civil c = civil_from_days(days);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.000",
                static_cast<long long>(c.y), c.m, c.d, static_cast<long long>(rem / 3600),
                static_cast<long long>(rem % 3600 / 60), static_cast<long long>(rem % 60));
  return buf;
}

}  // namespace

std::string format_date(std::int64_t days) {
  Civil c = civil_from_days(days);
  char buf[24];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(c.y), c.m, c.d);
  return buf;
}

std::string format_datetime(std::int64_t secs) { return datetime_core(secs) + "+0000"; }
std::string format_datetime_z(std::int64_t secs) { return datetime_core(secs) + "Z"; }

std::string format_scaled(std::int64_t scaled, int scale) {
  bool neg = scaled < 0;
  auto mag = static_cast<std::uint64_t>(neg ? -scaled : scaled);
  std::uint64_t div = 1;
  for (int i = 0; i < scale; ++i) div *= 10;
  std::string out = neg ? "-" : "";
  out += std::to_string(mag / div);
  if (scale > 0) {
    std::string frac = std::to_string(mag % div);
    out += '.';
    out.append(static_cast<size_t>(scale) - frac.size(), '0');
    out += frac;
  }
  return out;
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

void append_json_value(std::string& out, const Value& v) {
  switch (v.kind) {
    case Value::Kind::kNull: out += "null"; break;
    case Value::Kind::kString: append_json_string(out, v.text); break;
    case Value::Kind::kNumber: out += v.text; break;
    case Value::Kind::kBool: out += v.flag ? "true" : "false"; break;
  }
}

}  // namespace reportd::sim
