#include "jobs/render/cell_text.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
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

// Writes `v` zero-padded to `width` digits. A year (4) or milliseconds (3)
// that fit their width, as nearly all do, are written digit by digit.
char* put_padded(char* p, unsigned v, std::size_t width) {
  if (width == 4 && v < 10000) {
    p[0] = static_cast<char>('0' + v / 1000);
    p[1] = static_cast<char>('0' + v / 100 % 10);
    p[2] = static_cast<char>('0' + v / 10 % 10);
    p[3] = static_cast<char>('0' + v % 10);
    return p + 4;
  }
  if (width == 3 && v < 1000) {
    p[0] = static_cast<char>('0' + v / 100);
    p[1] = static_cast<char>('0' + v / 10 % 10);
    p[2] = static_cast<char>('0' + v % 10);
    return p + 3;
  }
  char tmp[16];
  const auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  const auto n = static_cast<std::size_t>(r.ptr - tmp);
  for (std::size_t i = n; i < width; ++i) *p++ = '0';
  std::memcpy(p, tmp, n);
  return p + n;
}

// "00".."99".
constexpr auto kTwoDigits = [] {
  std::array<char, 200> t{};
  for (unsigned i = 0; i < 100; ++i) {
    t[2 * i] = static_cast<char>('0' + i / 10);
    t[2 * i + 1] = static_cast<char>('0' + i % 10);
  }
  return t;
}();

// The last two digits of `v`.
char* put2(char* p, unsigned v) {
  std::memcpy(p, &kTwoDigits[2 * (v % 100)], 2);
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

// The first and last day put_ymd takes Neri and Schneider's way: years 1 to 9999.
constexpr std::int64_t kFastFirstDay = -719162, kFastLastDay = 2932896;

// "YYYY-MM-DD" of a day counted from 1970-01-01. Years 1 to 9999 by Neri and
// Schneider's calendar algorithm ("Euclidean affine functions and their
// application to calendar algorithms", 2022: 32-bit multiplications, no
// division by a variable); other days by Howard Hinnant's civil_from_days,
// as date::year_month_day computes it (its year is a short, so a year past
// +-32767 wraps the same way).
char* put_ymd(char* p, std::int64_t days) {
  if (days >= kFastFirstDay && days <= kFastLastDay) {
    // Shifted by 82 400-year eras, so every count is positive (their s = 82).
    const auto n = static_cast<std::uint32_t>(days + 719468 + 146097 * 82);
    const std::uint32_t n1 = 4 * n + 3;
    const std::uint32_t century = n1 / 146097;
    const std::uint32_t n2 = n1 % 146097 / 4 * 4 + 3;
    const std::uint64_t p2 = std::uint64_t{2939745} * n2;
    const auto z = static_cast<std::uint32_t>(p2 >> 32);
    const auto day_of_year = static_cast<std::uint32_t>(p2) / 2939745 / 4;
    const std::uint32_t n3 = 2141 * day_of_year + 197913;
    const bool jan_feb = day_of_year >= 306;
    const std::uint32_t year = 100 * century + z - 400 * 82 + (jan_feb ? 1 : 0);
    const std::uint32_t month = jan_feb ? n3 / 65536 - 12 : n3 / 65536;
    p = put2(p, year / 100);
    p = put2(p, year);
    *p++ = '-';
    p = put2(p, month);
    *p++ = '-';
    return put2(p, n3 % 65536 / 2141 + 1);
  }
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
  p = put_year(p, static_cast<short>(y));
  *p++ = '-';
  p = put2(p, m);
  *p++ = '-';
  return put2(p, d);
}

// Floor division: the day of a millisecond before 1970 is the one before.
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
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
  // date::days counts in an int, as the formatting before this did.
  return static_cast<std::size_t>(put_ymd(out, static_cast<int>(days)) - out);
}

std::size_t write_datetime(char* out, std::int64_t millis, ZoneOffsets& zone) {
  const std::int64_t off = zone.offset_seconds(millis);
  const std::int64_t local = millis + off * 1000;
  const std::int64_t day = floor_div(local, 86'400'000);
  const auto of_day = static_cast<unsigned>(local - day * 86'400'000);
  char* p = put_ymd(out, day);
  *p++ = 'T';
  p = put2(p, of_day / 3'600'000);
  *p++ = ':';
  p = put2(p, of_day / 60'000 % 60);
  *p++ = ':';
  p = put2(p, of_day / 1000 % 60);
  if (const unsigned ms = of_day % 1000; ms != 0) {
    *p++ = '.';
    p = put_padded(p, ms, 3);
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
