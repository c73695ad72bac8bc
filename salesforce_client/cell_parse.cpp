#include "salesforce_client/cell_parse.hpp"

namespace reportd::salesforce {
namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

// Howard Hinnant's days_from_civil.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

std::optional<std::int64_t> date_prefix(std::string_view s) {
  int y, m, d;
  if (s.size() < 10 || s[4] != '-' || s[7] != '-' || !digits(s, 0, 4, y) || !digits(s, 5, 2, m) ||
      !digits(s, 8, 2, d))
    return std::nullopt;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return std::nullopt;
  if (d > kDays[m - 1] + (m == 2 && leap(y) ? 1 : 0)) return std::nullopt;
  return days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
}

}  // namespace

std::optional<std::int64_t> parse_date(std::string_view s) {
  if (s.size() != 10) return std::nullopt;
  return date_prefix(s);
}

std::optional<std::int64_t> parse_datetime(std::string_view s) {
  auto days = date_prefix(s);
  int hh, mm, ss;
  if (!days || s.size() < 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
      !digits(s, 11, 2, hh) || !digits(s, 14, 2, mm) || !digits(s, 17, 2, ss) || hh > 23 ||
      mm > 59 || ss > 60)
    return std::nullopt;
  std::size_t p = 19;
  std::int64_t millis = 0;
  if (p < s.size() && s[p] == '.') {
    ++p;
    int scale = 100, n = 0;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
      millis += (s[p] - '0') * scale;
      scale /= 10;
      ++p;
      ++n;
    }
    if (n == 0) return std::nullopt;
  }
  std::int64_t offset_min = 0;
  if (p == s.size()) return std::nullopt;
  if (s[p] == 'Z') {
    ++p;
  } else if (s[p] == '+' || s[p] == '-') {
    int oh, om;
    const int sign = s[p] == '-' ? -1 : 1;
    if (!digits(s, p + 1, 2, oh)) return std::nullopt;
    std::size_t q = p + 3;
    if (q < s.size() && s[q] == ':') ++q;
    if (!digits(s, q, 2, om)) return std::nullopt;
    p = q + 2;
    offset_min = sign * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  if (p != s.size()) return std::nullopt;
  const std::int64_t secs = *days * 86400 + hh * 3600 + mm * 60 + ss - offset_min * 60;
  return secs * 1000 + millis;
}

table::Cell sniff_string_cell(std::string_view s) {
  // Cheap pre-check: both shapes start with four digits and a dash.
  if (s.size() >= 10 && s[4] == '-' && s[0] >= '0' && s[0] <= '9') {
    if (s.size() == 10) {
      if (auto d = parse_date(s)) return table::Cell::date(*d, s);
    } else if (auto ms = parse_datetime(s)) {
      return table::Cell::datetime(*ms, s);
    }
  }
  return table::Cell::string(s);
}

table::CellType type_from_salesforce(std::string_view t) {
  using table::CellType;
  if (t == "date") return CellType::kDate;
  if (t == "datetime") return CellType::kDateTime;
  if (t == "double" || t == "int" || t == "percent" || t == "currency" || t == "long")
    return CellType::kNumber;
  if (t == "boolean") return CellType::kBoolean;
  return CellType::kString;
}

}  // namespace reportd::salesforce
