#include "jobs/cron.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <vector>

namespace reportd::jobs {
namespace {

enum Field { kSecond, kMinute, kHour, kDayOfMonth, kMonth, kDayOfWeek };

struct FieldSpec {
  const char* name;
  int lo;
  int hi;  // day-of-week accepts 7 (Sunday) on input; it is stored as 0
};
constexpr std::array<FieldSpec, 6> kSpecs{{{"second", 0, 59},
                                           {"minute", 0, 59},
                                           {"hour", 0, 23},
                                           {"day-of-month", 1, 31},
                                           {"month", 1, 12},
                                           {"day-of-week", 0, 7}}};

constexpr std::array<std::string_view, 12> kMonthNames{"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> kDayNames{"SUN", "MON", "TUE", "WED",
                                                    "THU", "FRI", "SAT"};

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Parses one field's text into the expression; `text` is the whole field.
class FieldParser {
 public:
  FieldParser(Field field, std::string_view text, CronExpr& out)
      : field_(field), text_(text), out_(out) {}

  Status parse() {
    const bool list = text_.find(',') != std::string_view::npos;
    if (!list && (text_ == "*" || text_.starts_with("*/") || text_ == "?")) return parse_star();
    if (text_.find_first_of("*?") != std::string_view::npos)
      return error("`*` and `?` must stand alone (`*`, `*/step` or `?`), not inside a list");
    std::string_view rest = text_;
    while (true) {
      const auto comma = rest.find(',');
      const std::string_view item = rest.substr(0, comma);
      if (item.empty()) return error("empty list item");
      if (Status s = parse_item(item); !s.ok()) return s;
      if (comma == std::string_view::npos) break;
      rest = rest.substr(comma + 1);
    }
    return {};
  }

 private:
  const FieldSpec& spec() const { return kSpecs[field_]; }

  // Built with append(): GCC 12 at -O3 warns falsely (-Wrestrict) on
  // "literal" + std::string here.
  Status error(const std::string& what) const {
    std::string msg(spec().name);
    msg.append(" field `").append(text_).append("`: ").append(what);
    return Status::error(ErrorKind::kInvalidArgument, std::move(msg));
  }
  Status bad_item(std::string_view item, const std::string& what) const {
    std::string msg("`");
    msg.append(item).append("` ").append(what);
    return error(msg);
  }

  Status parse_star() {
    const bool day_field = field_ == kDayOfMonth || field_ == kDayOfWeek;
    if (text_ == "?" && !day_field)
      return error("`?` is only allowed in the day-of-month and day-of-week fields; use `*`");
    int step = 1;
    if (text_.starts_with("*/")) {
      auto s = parse_step(text_.substr(2), text_);
      if (!s.ok()) return s.status();
      step = *s;
    }
    const int hi = field_ == kDayOfWeek ? 6 : spec().hi;
    for (int v = spec().lo; v <= hi; v += step) set_value(v);
    if (field_ == kHour) out_.hour_starred = true;
    if (field_ == kDayOfMonth) out_.day_of_month_starred = true;
    if (field_ == kDayOfWeek) out_.day_of_week_starred = true;
    return {};
  }

  Result<int> parse_step(std::string_view s, std::string_view item) const {
    auto n = parse_number(s, item);
    if (!n.ok()) return n;
    const int span = spec().hi - spec().lo + 1;
    if (*n < 1 || *n > span)
      return bad_item(item, "has step " + std::to_string(*n) + "; a step must be 1-" +
                                std::to_string(span));
    return n;
  }

  Result<int> parse_number(std::string_view s, std::string_view item) const {
    if (s.empty() || s.size() > 3 ||
        !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return bad_item(item, "is not valid: `" + std::string(s) + "` is not a number");
    int v = 0;
    for (char c : s) v = v * 10 + (c - '0');
    return v;
  }

  // A number or (month, day-of-week) a three-letter name, range-checked.
  Result<int> parse_value(std::string_view s, std::string_view item) const {
    const std::string u = upper(s);
    if (field_ == kMonth || field_ == kDayOfWeek) {
      const auto* names = field_ == kMonth ? kMonthNames.data() : kDayNames.data();
      const int count = field_ == kMonth ? 12 : 7;
      for (int i = 0; i < count; ++i)
        if (u == names[i]) return field_ == kMonth ? i + 1 : i;
      if (!u.empty() && std::isalpha(static_cast<unsigned char>(u[0])))
        return bad_item(item, std::string("is not valid: `") + std::string(s) + "` is not a " +
                                  (field_ == kMonth ? "month name (JAN-DEC)"
                                                    : "day name (SUN-SAT)"));
    }
    auto n = parse_number(s, item);
    if (!n.ok()) return n;
    if (*n < spec().lo || *n > spec().hi)
      return bad_item(item, "is out of range: " + std::to_string(*n) + " is not in " +
                                std::to_string(spec().lo) + "-" + std::to_string(spec().hi));
    return n;
  }

  void set_value(int v) {
    switch (field_) {
      case kSecond: out_.seconds |= std::uint64_t{1} << v; break;
      case kMinute: out_.minutes |= std::uint64_t{1} << v; break;
      case kHour: out_.hours |= std::uint32_t{1} << v; break;
      case kDayOfMonth: out_.days |= std::uint32_t{1} << v; break;
      case kMonth: out_.months = static_cast<std::uint16_t>(out_.months | (1u << v)); break;
      case kDayOfWeek: out_.weekdays = static_cast<std::uint8_t>(out_.weekdays | (1u << (v % 7)));
    }
  }

  Status parse_item(std::string_view item) {
    const std::string u = upper(item);
    if (field_ == kDayOfMonth && u.find_first_of("LW") != std::string::npos)
      return parse_dom_special(item, u);
    if (field_ == kDayOfWeek && (u.find('#') != std::string::npos || u.ends_with("L")))
      return parse_dow_special(item, u);
    std::string_view base = item;
    int step = 1;
    bool stepped = false;
    if (const auto slash = item.find('/'); slash != std::string_view::npos) {
      base = item.substr(0, slash);
      auto s = parse_step(item.substr(slash + 1), item);
      if (!s.ok()) return s.status();
      step = *s;
      stepped = true;
    }
    int a = 0;
    int b = 0;
    if (const auto dash = base.find('-'); dash != std::string_view::npos) {
      auto va = parse_value(base.substr(0, dash), item);
      if (!va.ok()) return va.status();
      auto vb = parse_value(base.substr(dash + 1), item);
      if (!vb.ok()) return vb.status();
      a = *va;
      b = *vb;
      if (a > b)
        return bad_item(item, "is a range that goes backwards; write it as a list (`" +
                                  std::to_string(a) + "-" + std::to_string(spec().hi) + "," +
                                  std::to_string(spec().lo) + "-" + std::to_string(b) + "`)");
    } else {
      auto v = parse_value(base, item);
      if (!v.ok()) return v.status();
      a = *v;
      b = stepped ? spec().hi : a;  // `5/10` means 5-max/10
    }
    for (int v = a; v <= b; v += step) set_value(v);
    return {};
  }

  // `L`, `L-n`, `nW`, `LW`.
  Status parse_dom_special(std::string_view item, const std::string& u) {
    if (u == "L") {
      out_.days_before_last |= 1u;
    } else if (u == "LW") {
      out_.last_weekday = true;
    } else if (u.starts_with("L-")) {
      auto n = parse_number(item.substr(2), item);
      if (!n.ok()) return n.status();
      if (*n > 30) return bad_item(item, "is out of range: `L-n` takes n 0-30");
      out_.days_before_last |= 1u << *n;
    } else if (u.size() >= 2 && u.ends_with("W")) {
      auto n = parse_value(item.substr(0, item.size() - 1), item);
      if (!n.ok()) return n.status();
      out_.nearest_weekday |= 1u << *n;
    } else {
      return bad_item(item, "is not valid: use `L`, `L-3`, `15W` or `LW`");
    }
    return {};
  }

  // `wL` (last w of the month) and `w#k` (k-th w of the month).
  Status parse_dow_special(std::string_view item, const std::string& u) {
    if (u == "L")
      return bad_item(item, "is not valid: `L` alone is not a day of week; write `5L` for "
                            "the last Friday, or `6` for Saturday");
    if (const auto hash = u.find('#'); hash != std::string::npos) {
      auto w = parse_value(item.substr(0, hash), item);
      if (!w.ok()) return w.status();
      auto k = parse_number(item.substr(hash + 1), item);
      if (!k.ok()) return k.status();
      if (*k < 1 || *k > 5) return bad_item(item, "is out of range: `w#k` takes k 1-5");
      out_.nth_weekday |= std::uint64_t{1} << ((*k - 1) * 7 + *w % 7);
      return {};
    }
    auto w = parse_value(item.substr(0, item.size() - 1), item);
    if (!w.ok()) return w.status();
    out_.last_of_weekday = static_cast<std::uint8_t>(out_.last_of_weekday | (1u << (*w % 7)));
    return {};
  }

  Field field_;
  std::string_view text_;
  CronExpr& out_;
};

std::vector<std::string_view> split_fields(std::string_view text) {
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    std::size_t j = i;
    while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    if (j > i) fields.push_back(text.substr(i, j - i));
    i = j;
  }
  return fields;
}

// Quartz numbers days of week 1-7 from Sunday; Unix from 0.
std::string quartz_dow_to_unix(std::string_view dow) {
  if (upper(dow) == "L") return "6";
  std::string out;
  for (std::size_t i = 0; i < dow.size();) {
    if (std::isdigit(static_cast<unsigned char>(dow[i])) && (i == 0 || dow[i - 1] != '#')) {
      std::size_t j = i;
      int v = 0;
      while (j < dow.size() && std::isdigit(static_cast<unsigned char>(dow[j])) && j - i < 3)
        v = v * 10 + (dow[j++] - '0');
      out += std::to_string(v > 0 ? v - 1 : v);
      i = j;
    } else {
      out += dow[i++];
    }
  }
  return out;
}

Status quartz_error(const std::vector<std::string_view>& f) {
  std::string suggestion = std::string(f[0]) + " " + std::string(f[1]) + " " + std::string(f[2]) +
                           " " + std::string(f[3]) + " " + std::string(f[4]) + " " +
                           quartz_dow_to_unix(f[5]);
  std::string msg =
      "7 fields look like a Quartz expression with a year field; reportd takes 5 fields "
      "(minute hour day-of-month month day-of-week) or 6 with leading seconds, and numbers "
      "days of week from 0 (Sunday): write `" +
      suggestion + "`";
  if (f[6] != "*" && f[6] != "?")
    msg += " (the year field `" + std::string(f[6]) + "` has no equivalent)";
  return Status::error(ErrorKind::kInvalidArgument, msg);
}

std::string_view expand_macro(std::string_view name) {
  const std::string u = upper(name);
  if (u == "@YEARLY" || u == "@ANNUALLY") return "0 0 1 1 *";
  if (u == "@MONTHLY") return "0 0 1 * *";
  if (u == "@WEEKLY") return "0 0 * * 0";
  if (u == "@DAILY" || u == "@MIDNIGHT") return "0 0 * * *";
  if (u == "@HOURLY") return "0 * * * *";
  return {};
}

// --- printing

// Step k when `bits` is exactly lo, lo+k, ... up to hi (0 when it is not);
// `count` gets how many values that is.
int star_step(std::uint64_t bits, int lo, int hi, int& count) {
  for (int k = 1; k <= hi - lo + 1; ++k) {
    std::uint64_t want = 0;
    count = 0;
    for (int v = lo; v <= hi; v += k, ++count) want |= std::uint64_t{1} << v;
    if (want == bits) return k;
  }
  return 0;
}

void append_item(std::string& out, const std::string& item) {
  if (!out.empty()) out += ',';
  out += item;
}

// Values as `a-b/k` (an arithmetic run of 3+), `a-b` (3+ in a row) or a list.
std::string print_values(std::uint64_t bits, int lo, int hi, bool star_allowed,
                         bool starred = false) {
  // A starred field (hour, day fields) must print as `*` or `*/k` to stay
  // starred; elsewhere `*/k` is used only when it names 2 or more values.
  if (star_allowed || starred) {
    int count = 0;
    const int k = star_step(bits, lo, hi, count);
    if (k == 1) return "*";
    if (k > 1 && (count >= 2 || starred)) return "*/" + std::to_string(k);
  }
  std::vector<int> v;
  for (int i = lo; i <= hi; ++i)
    if (bits >> i & 1) v.push_back(i);
  if (v.size() >= 3) {
    const int k = v[1] - v[0];
    bool progression = k >= 2;
    for (std::size_t i = 2; progression && i < v.size(); ++i) progression = v[i] - v[i - 1] == k;
    if (progression)
      return std::to_string(v.front()) + "-" + std::to_string(v.back()) + "/" + std::to_string(k);
  }
  std::string out;
  for (std::size_t i = 0; i < v.size();) {
    std::size_t j = i;
    while (j + 1 < v.size() && v[j + 1] == v[j] + 1) ++j;
    if (j - i >= 2) {
      append_item(out, std::to_string(v[i]) + "-" + std::to_string(v[j]));
    } else {
      for (std::size_t x = i; x <= j; ++x) append_item(out, std::to_string(v[x]));
    }
    i = j + 1;
  }
  return out;
}

std::string print_day_of_month(const CronExpr& e) {
  if (e.day_of_month_starred) return print_values(e.days, 1, 31, true, true);
  std::string out = print_values(e.days, 1, 31, false);
  for (int n = 0; n <= 30; ++n)
    if (e.days_before_last >> n & 1) append_item(out, n == 0 ? "L" : "L-" + std::to_string(n));
  for (int d = 1; d <= 31; ++d)
    if (e.nearest_weekday >> d & 1) append_item(out, std::to_string(d) + "W");
  if (e.last_weekday) append_item(out, "LW");
  return out;
}

std::string print_day_of_week(const CronExpr& e) {
  if (e.day_of_week_starred) return print_values(e.weekdays, 0, 6, true, true);
  std::string out = print_values(e.weekdays, 0, 6, false);
  for (int w = 0; w < 7; ++w)
    if (e.last_of_weekday >> w & 1) append_item(out, std::to_string(w) + "L");
  for (int i = 0; i < 35; ++i)
    if (e.nth_weekday >> i & 1) append_item(out, std::to_string(i % 7) + "#" + std::to_string(i / 7 + 1));
  return out;
}

}  // namespace

Result<CronExpr> parse_cron(std::string_view text) {
  std::vector<std::string_view> f = split_fields(text);
  if (f.size() == 1 && f[0].starts_with("@")) {
    const std::string_view expanded = expand_macro(f[0]);
    if (expanded.empty())
      return Status::error(ErrorKind::kInvalidArgument,
                           "macro field `" + std::string(f[0]) +
                               "` is not known; use @yearly, @annually, @monthly, @weekly, "
                               "@daily, @midnight or @hourly");
    f = split_fields(expanded);
  }
  if (f.size() == 7) return quartz_error(f);
  if (f.size() != 5 && f.size() != 6)
    return Status::error(ErrorKind::kInvalidArgument,
                         "expected 5 fields (minute hour day-of-month month day-of-week) or 6 "
                         "(with leading seconds), got " +
                             std::to_string(f.size()) + " fields in `" + std::string(text) + "`");
  CronExpr e;
  const int first = f.size() == 6 ? kSecond : kMinute;
  if (first == kMinute) e.seconds = 1;
  for (std::size_t i = 0; i < f.size(); ++i) {
    const auto field = static_cast<Field>(first + static_cast<int>(i));
    if (Status s = FieldParser(field, f[i], e).parse(); !s.ok()) return s;
  }
  return e;
}

std::string to_string(const CronExpr& e) {
  std::string out;
  if (e.seconds != 1) out = print_values(e.seconds, 0, 59, true) + " ";
  out += print_values(e.minutes, 0, 59, true) + " ";
  out += print_values(e.hours, 0, 23, false, e.hour_starred) + " ";
  out += print_day_of_month(e) + " ";
  out += print_values(e.months, 1, 12, true) + " ";
  out += print_day_of_week(e);
  return out;
}

std::int64_t min_spacing_seconds(const CronExpr& e) {
  const auto first = [](std::uint64_t b) { return std::countr_zero(b); };
  const auto last = [](std::uint64_t b) { return 63 - std::countl_zero(b); };
  // Smallest gap between two consecutive set bits, or 0 with fewer than two.
  const auto min_gap = [](std::uint64_t b) {
    int best = 0;
    int prev = -1;
    for (int i = 0; i < 64; ++i) {
      if (!(b >> i & 1)) continue;
      if (prev >= 0 && (best == 0 || i - prev < best)) best = i - prev;
      prev = i;
    }
    return best;
  };
  const std::int64_t s_wrap = first(e.seconds) - last(e.seconds);
  const std::int64_t m_wrap = first(e.minutes) - last(e.minutes);
  const std::int64_t first_tod = first(e.hours) * 3600 + first(e.minutes) * 60 + first(e.seconds);
  const std::int64_t last_tod = last(e.hours) * 3600 + last(e.minutes) * 60 + last(e.seconds);
  std::int64_t best = 86400 - (last_tod - first_tod);
  if (const int g = min_gap(e.seconds)) best = std::min<std::int64_t>(best, g);
  if (const int g = min_gap(e.minutes)) best = std::min<std::int64_t>(best, g * 60 + s_wrap);
  if (const int g = min_gap(e.hours))
    best = std::min<std::int64_t>(best, g * 3600 + m_wrap * 60 + s_wrap);
  return best;
}

}  // namespace reportd::jobs
