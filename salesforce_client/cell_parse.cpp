#include "salesforce_client/cell_parse.hpp"

#include <bit>
#include <cstring>

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

// Howard Hinnant's days_from_civil, for years 0 to 9999 (all that four
// digits spell): counted from one 400-year era earlier, so that every
// quantity is unsigned and no division needs a sign fix.
std::int64_t days_from_civil(unsigned y, unsigned m, unsigned d) {
  y = y + 400 - (m <= 2 ? 1 : 0);
  const unsigned era = y / 400, yoe = y - era * 400;
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + doe - 719468 - 146097;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// Eight bytes of text, checked against a shape and read as digits at once
// (SWAR): Salesforce's dates and datetimes are fixed-width, and checking
// and reading them byte by byte was most of a date cell's cost.
static_assert(std::endian::native == std::endian::little);

// A shape of 8 characters: 'd' a digit, '?' any byte, else that byte.
struct Shape {
  std::uint64_t digits = 0, literal_mask = 0, literals = 0;
  constexpr explicit Shape(const char (&s)[9]) {
    for (int i = 0; i < 8; ++i) {
      const std::uint64_t byte = 0xFFull << (8 * i);
      if (s[i] == 'd')
        digits |= byte;
      else if (s[i] != '?')
        literal_mask |= byte,
            literals |= static_cast<std::uint64_t>(static_cast<unsigned char>(s[i])) << (8 * i);
    }
  }
};

// The 8 bytes at `p` as digit values (one a byte, 0 where the shape has no
// digit), or false when they do not have `shape`.
bool read_shape(const char* p, const Shape& shape, std::uint64_t& values) {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  const std::uint64_t x = (w ^ 0x3030303030303030ull) & shape.digits;  // '0'..'9' -> 0..9
  // A byte above 9 sets its top bit here (no carry: 0x7F + 0x76 < 0x100).
  const std::uint64_t over = ((x & 0x7F7F7F7F7F7F7F7Full) + 0x7676767676767676ull) | x;
  values = x;
  return (over & 0x8080808080808080ull) == 0 && (w & shape.literal_mask) == shape.literals;
}

// Each byte i of the result is the two-digit number at bytes i and i+1 of
// read_shape's values (10 * 9 + 9 fits a byte: no carry).
std::uint64_t pairs(std::uint64_t values) { return values * 10 + (values >> 8); }
int byte(std::uint64_t v, int i) { return static_cast<int>((v >> (8 * i)) & 0xFF); }

// Days since 1970-01-01 for the "YYYY-MM-DD" at the start of `s`. These
// helpers return bool and an out value, not std::optional: GCC put the
// optional together in memory (a byte store, then an 8-byte load), and the
// stalled store forwarding cost more than the parse.
bool date_prefix(std::string_view s, std::int64_t& days) {
  static constexpr Shape kYearMonth("dddd-dd-"), kMonthDay("dd-dd-dd");
  std::uint64_t a, b;
  if (s.size() < 10 || !read_shape(s.data(), kYearMonth, a) ||
      !read_shape(s.data() + 2, kMonthDay, b))
    return false;
  a = pairs(a);
  const int y = byte(a, 0) * 100 + byte(a, 2), m = byte(a, 5), d = byte(pairs(b), 6);
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  if (d > kDays[m - 1] + (m == 2 && leap(y) ? 1 : 0)) return false;
  days =
      days_from_civil(static_cast<unsigned>(y), static_cast<unsigned>(m), static_cast<unsigned>(d));
  return true;
}

// Salesforce's own spellings, "YYYY-MM-DDTHH:MM:SS.fff+HHMM" (or -HHMM) and
// "YYYY-MM-DDTHH:MM:SS.fffZ", read without the general parser's loops.
// kOther for any other length or ending: the general parser decides those.
// For these it gives what the general parser would.
enum class Shaped { kValid, kInvalid, kOther };
Shaped salesforce_datetime(std::string_view s, std::int64_t& ms) {
  static constexpr Shape kTime("ddTdd:dd"), kMillis(":dd.ddd?"), kOffset("????dddd");
  const char* p = s.data();
  std::uint64_t t, f, o = 0;
  if (!(s.size() == 28 && (p[23] == '+' || p[23] == '-') && read_shape(p + 20, kOffset, o)) &&
      !(s.size() == 24 && p[23] == 'Z'))
    return Shaped::kOther;
  std::int64_t days;
  if (!date_prefix(s, days) || !read_shape(p + 8, kTime, t) || !read_shape(p + 16, kMillis, f))
    return Shaped::kInvalid;
  t = pairs(t);
  const std::uint64_t fp = pairs(f);
  const int hh = byte(t, 3), mm = byte(t, 6), ss = byte(fp, 1);
  if (hh > 23 || mm > 59 || ss > 60) return Shaped::kInvalid;
  const int millis = byte(fp, 4) * 10 + byte(f, 6);
  o = pairs(o);
  const std::int64_t offset_min = (p[23] == '-' ? -1 : 1) * (byte(o, 4) * 60 + byte(o, 6));
  const std::int64_t secs = days * 86400 + hh * 3600 + mm * 60 + ss - offset_min * 60;
  ms = secs * 1000 + millis;
  return Shaped::kValid;
}

bool datetime(std::string_view s, std::int64_t& ms) {
  if (const Shaped fast = salesforce_datetime(s, ms); fast != Shaped::kOther)
    return fast == Shaped::kValid;
  std::int64_t days;
  int hh, mm, ss;
  if (!date_prefix(s, days) || s.size() < 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
      !digits(s, 11, 2, hh) || !digits(s, 14, 2, mm) || !digits(s, 17, 2, ss) || hh > 23 ||
      mm > 59 || ss > 60)
    return false;
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
    if (n == 0) return false;
  }
  std::int64_t offset_min = 0;
  if (p == s.size()) return false;
  if (s[p] == 'Z') {
    ++p;
  } else if (s[p] == '+' || s[p] == '-') {
    int oh, om;
    const int sign = s[p] == '-' ? -1 : 1;
    if (!digits(s, p + 1, 2, oh)) return false;
    std::size_t q = p + 3;
    if (q < s.size() && s[q] == ':') ++q;
    if (!digits(s, q, 2, om)) return false;
    p = q + 2;
    offset_min = sign * (oh * 60 + om);
  } else {
    return false;
  }
  if (p != s.size()) return false;
  const std::int64_t secs = days * 86400 + hh * 3600 + mm * 60 + ss - offset_min * 60;
  ms = secs * 1000 + millis;
  return true;
}

}  // namespace

std::optional<std::int64_t> parse_date(std::string_view s) {
  std::int64_t days;
  if (s.size() != 10 || !date_prefix(s, days)) return std::nullopt;
  return days;
}

std::optional<std::int64_t> parse_datetime(std::string_view s) {
  std::int64_t ms;
  if (!datetime(s, ms)) return std::nullopt;
  return ms;
}

table::Cell sniff_string_cell(std::string_view s) {
  // Cheap pre-check: both shapes start with four digits and a dash.
  if (s.size() >= 10 && s[4] == '-' && s[0] >= '0' && s[0] <= '9') {
    std::int64_t v;
    if (s.size() == 10) {
      if (date_prefix(s, v)) return table::Cell::date(v, s);
    } else if (datetime(s, v)) {
      return table::Cell::datetime(v, s);
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
