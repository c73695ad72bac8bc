#include "jobs/render/cell_text.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace reportd::render {
namespace {

using Ms = std::chrono::milliseconds;
constexpr double kExcelEpochOffsetDays = 25569.0;  // 1970-01-01 as an Excel serial

std::int64_t seconds_to_ms_saturating(std::int64_t s) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max() / 1000;
  if (s >= kMax) return std::numeric_limits<std::int64_t>::max();
  if (s <= -kMax) return std::numeric_limits<std::int64_t>::min();
  return s * 1000;
}

// Writes `v` zero-padded to `width` digits.
char* put_padded(char* p, unsigned v, std::size_t width) {
  char tmp[16];
  const auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  const auto n = static_cast<std::size_t>(r.ptr - tmp);
  for (std::size_t i = n; i < width; ++i) *p++ = '0';
  std::memcpy(p, tmp, n);
  return p + n;
}

// The two ASCII digits of each of 0..99.
constexpr std::array<char, 200> kDigitPairs = [] {
  std::array<char, 200> t{};
  for (int i = 0; i < 100; ++i) {
    t[static_cast<std::size_t>(2 * i)] = static_cast<char>('0' + i / 10);
    t[static_cast<std::size_t>(2 * i + 1)] = static_cast<char>('0' + i % 10);
  }
  return t;
}();

// The last two digits of `v`.
char* put2(char* p, unsigned v) {
  std::memcpy(p, &kDigitPairs[2 * (v % 100)], 2);
  return p + 2;
}

// printf's "%04d": a sign counts towards the width.
char* put_year(char* p, int y) {
  if (y < 0) {
    *p++ = '-';
    return put_padded(p, static_cast<unsigned>(-y), 3);
  }
  return put_padded(p, static_cast<unsigned>(y), 4);
}

// Days since 1970-01-01 of 0000-03-01 (where the era below starts) and of
// 9999-12-31.
constexpr std::int64_t kFirstDay = -719468, kLastDay = 2932896;
constexpr std::int64_t kDayMs = 86'400'000;

// "YYYY-MM-DD" of `days` since 1970-01-01. From 0000-03-01 to 9999 by Howard
// Hinnant's civil_from_days (the date library's own algorithm) and a table
// of digit pairs; the others as the date library reads them.
char* put_ymd(char* p, std::int64_t days) {
  if (days < kFirstDay || days > kLastDay) {
    const date::year_month_day ymd{date::sys_days{date::days{days}}};
    p = put_year(p, static_cast<int>(ymd.year()));
    *p++ = '-';
    p = put2(p, static_cast<unsigned>(ymd.month()));
    *p++ = '-';
    return put2(p, static_cast<unsigned>(ymd.day()));
  }
  const auto z = static_cast<std::uint32_t>(days + 719468);  // days since 0000-03-01
  const std::uint32_t era = z / 146097, doe = z - era * 146097;
  const std::uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::uint32_t mp = (5 * doy + 2) / 153;
  const std::uint32_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
  const std::uint32_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  p = put2(p, y / 100);
  p = put2(p, y % 100);
  *p++ = '-';
  p = put2(p, m);
  *p++ = '-';
  return put2(p, d);
}

// Length of the valid UTF-8 sequence at s[i], or 0 when invalid.
std::size_t utf8_len(std::string_view s, std::size_t i) {
  auto b = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) {
    n = 2;
    cp = b & 0x1Fu;
  } else if (b >= 0xE0 && b <= 0xEF) {
    n = 3;
    cp = b & 0x0Fu;
  } else if (b >= 0xF0 && b <= 0xF4) {
    n = 4;
    cp = b & 0x07u;
  } else
    return 0;
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

std::int64_t ZoneOffsets::offset_seconds(std::int64_t millis) {
  if (tz_ == nullptr) return 0;
  if (millis >= begin_ms_ && millis < end_ms_) return offset_s_;
  const date::sys_info info = tz_->get_info(date::sys_time<Ms>{Ms{millis}});
  offset_s_ = info.offset.count();
  begin_ms_ = seconds_to_ms_saturating(info.begin.time_since_epoch().count());
  end_ms_ = seconds_to_ms_saturating(info.end.time_since_epoch().count());
  return offset_s_;
}

std::size_t write_date(char* out, std::int64_t days) {
  return static_cast<std::size_t>(put_ymd(out, days) - out);
}

std::size_t write_datetime(char* out, std::int64_t millis, ZoneOffsets& zone) {
  const std::int64_t off = zone.offset_seconds(millis);
  const std::int64_t local = millis + off * 1000;
  // date::floor<days>: the day, rounded down, and the time into it.
  const std::int64_t day = local / kDayMs - (local % kDayMs < 0 ? 1 : 0);
  const auto t = static_cast<std::uint32_t>(local - day * kDayMs);  // 0 to 86,399,999
  char* p = put_ymd(out, day);
  *p++ = 'T';
  p = put2(p, t / 3'600'000);
  *p++ = ':';
  p = put2(p, t / 60'000 % 60);
  *p++ = ':';
  p = put2(p, t / 1000 % 60);
  if (const std::uint32_t ms = t % 1000; ms != 0) {
    *p++ = '.';
    *p++ = static_cast<char>('0' + ms / 100);
    p = put2(p, ms % 100);
  }
  if (off == 0) {
    const std::string_view utc = zone.zone() == nullptr ? "Z" : "+00:00";
    std::memcpy(p, utc.data(), utc.size());
    p += utc.size();
  } else {
    const std::int64_t a = off < 0 ? -off : off;
    *p++ = off < 0 ? '-' : '+';
    p = put2(p, static_cast<unsigned>(a / 3600));
    *p++ = ':';
    p = put2(p, static_cast<unsigned>((a % 3600) / 60));
  }
  return static_cast<std::size_t>(p - out);
}

std::string format_date(std::int64_t days) {
  char buf[kDateTimeTextMax];
  return std::string(buf, write_date(buf, days));
}

std::string format_datetime(std::int64_t millis, const date::time_zone* tz) {
  ZoneOffsets zone(tz);
  char buf[kDateTimeTextMax];
  return std::string(buf, write_datetime(buf, millis, zone));
}

std::string format_datetime_human(std::int64_t millis, const date::time_zone* tz) {
  date::sys_time<std::chrono::seconds> tp{std::chrono::seconds{millis / 1000}};
  if (tz == nullptr) return date::format("%Y-%m-%d %H:%M UTC", tp);
  return date::format("%Y-%m-%d %H:%M %Z", date::make_zoned(tz, tp));
}

void append_cell_text(std::string& out, const table::Cell& cell, ZoneOffsets& zone) {
  switch (cell.type) {
    case table::CellType::kNull:
      return;
    case table::CellType::kString:
      out += cell.text;
      return;
    case table::CellType::kNumber: {
      if (!cell.text.empty()) {
        out += cell.text;
        return;
      }
      char buf[64];
      auto r = std::to_chars(buf, buf + sizeof buf, cell.number);
      out.append(buf, r.ptr);
      return;
    }
    case table::CellType::kBoolean:
      out += cell.boolean ? "true" : "false";
      return;
    case table::CellType::kDate: {
      char buf[kDateTimeTextMax];
      out.append(buf, write_date(buf, cell.days));
      return;
    }
    case table::CellType::kDateTime: {
      char buf[kDateTimeTextMax];
      out.append(buf, write_datetime(buf, cell.millis, zone));
      return;
    }
  }
}

void append_cell_text(std::string& out, const table::Cell& cell, const date::time_zone* tz) {
  ZoneOffsets zone(tz);
  append_cell_text(out, cell, zone);
}

double excel_serial_local(std::int64_t millis, ZoneOffsets& zone) {
  std::int64_t local_ms = millis + zone.offset_seconds(millis) * 1000;
  return static_cast<double>(local_ms) / 86400000.0 + kExcelEpochOffsetDays;
}

double excel_serial_local(std::int64_t millis, const date::time_zone* tz) {
  ZoneOffsets zone(tz);
  return excel_serial_local(millis, zone);
}

double excel_serial_date(std::int64_t days) {
  return static_cast<double>(days) + kExcelEpochOffsetDays;
}

bool is_valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    // Eight ASCII bytes at a time (most text is ASCII), then one character.
    if (s.size() - i >= 8) {
      std::uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if ((w & 0x8080808080808080ull) == 0) {
        i += 8;
        continue;
      }
    }
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
