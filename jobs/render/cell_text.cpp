#include "jobs/render/cell_text.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace reportd::render {
namespace {

using Ms = std::chrono::milliseconds;
constexpr double kExcelEpochOffsetDays = 25569.0;  // 1970-01-01 as an Excel serial

// Offset of `tz` at `millis`, in seconds (0 for UTC).
std::int64_t offset_seconds(std::int64_t millis, const date::time_zone* tz) {
  if (tz == nullptr) return 0;
  date::sys_time<Ms> tp{Ms{millis}};
  return tz->get_info(tp).offset.count();
}

// Length of the valid UTF-8 sequence at s[i], or 0 when invalid.
std::size_t utf8_len(std::string_view s, std::size_t i) {
  auto b = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) { n = 2; cp = b & 0x1Fu; }
  else if (b >= 0xE0 && b <= 0xEF) { n = 3; cp = b & 0x0Fu; }
  else if (b >= 0xF0 && b <= 0xF4) { n = 4; cp = b & 0x07u; }
  else return 0;
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3Fu);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;
  if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
  return n;
}

}  // namespace

std::string format_date(std::int64_t days) {
  date::year_month_day ymd{date::sys_days{date::days{days}}};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::string format_datetime(std::int64_t millis, const date::time_zone* tz) {
  std::int64_t off = offset_seconds(millis, tz);
  date::local_time<Ms> lt{Ms{millis + off * 1000}};
  auto day = date::floor<date::days>(lt);
  date::year_month_day ymd{day};
  date::hh_mm_ss<Ms> t{lt - day};
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d",
                        static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                        static_cast<unsigned>(ymd.day()), static_cast<int>(t.hours().count()),
                        static_cast<int>(t.minutes().count()),
                        static_cast<int>(t.seconds().count()));
  std::string out(buf, static_cast<std::size_t>(n));
  if (auto ms = t.subseconds().count(); ms != 0) {
    std::snprintf(buf, sizeof buf, ".%03d", static_cast<int>(ms));
    out += buf;
  }
  if (off == 0) {
    out += tz == nullptr ? "Z" : "+00:00";
  } else {
    std::int64_t a = off < 0 ? -off : off;
    std::snprintf(buf, sizeof buf, "%c%02d:%02d", off < 0 ? '-' : '+',
                  static_cast<int>(a / 3600), static_cast<int>((a % 3600) / 60));
    out += buf;
  }
  return out;
}

std::string format_datetime_human(std::int64_t millis, const date::time_zone* tz) {
  date::sys_time<std::chrono::seconds> tp{std::chrono::seconds{millis / 1000}};
  if (tz == nullptr) return date::format("%Y-%m-%d %H:%M UTC", tp);
  return date::format("%Y-%m-%d %H:%M %Z", date::make_zoned(tz, tp));
}

void append_cell_text(std::string& out, const table::Cell& cell, const date::time_zone* tz) {
  switch (cell.type) {
    case table::CellType::kNull: return;
    case table::CellType::kString: out += cell.text; return;
    case table::CellType::kNumber: {
      if (!cell.text.empty()) { out += cell.text; return; }
      char buf[64];
      auto r = std::to_chars(buf, buf + sizeof buf, cell.number);
      out.append(buf, r.ptr);
      return;
    }
    case table::CellType::kBoolean: out += cell.boolean ? "true" : "false"; return;
    case table::CellType::kDate: out += format_date(cell.days); return;
    case table::CellType::kDateTime: out += format_datetime(cell.millis, tz); return;
  }
}

double excel_serial_local(std::int64_t millis, const date::time_zone* tz) {
  std::int64_t local_ms = millis + offset_seconds(millis, tz) * 1000;
  return static_cast<double>(local_ms) / 86400000.0 + kExcelEpochOffsetDays;
}

double excel_serial_date(std::int64_t days) {
  return static_cast<double>(days) + kExcelEpochOffsetDays;
}

bool is_valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = utf8_len(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string sanitize_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = utf8_len(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

}  // namespace reportd::render
