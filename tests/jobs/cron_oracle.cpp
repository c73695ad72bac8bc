#include "tests/jobs/cron_oracle.hpp"

#include <algorithm>
#include <array>

namespace reportd::jobs::oracle {
namespace {

using std::chrono::seconds;

int pick(std::mt19937_64& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

void sort_unique(std::vector<int>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

// One numeric field: `*`, `*/k`, a value, a range, a stepped range, `v/k`, or a
// list of values and ranges. Fills `values`; returns the text; `star` tells
// whether the text starts with `*`. `bias` gives values to favour.
std::string numeric_field(std::mt19937_64& rng, int lo, int hi, std::vector<int>& values,
                          bool& star, const std::vector<int>& bias, bool names_month = false,
                          bool allow_full_star = true) {
  static const std::array<const char*, 12> kMon{"jan", "FEB", "Mar", "APR", "may", "JUN",
                                                "jul", "AUG", "sep", "OCT", "nov", "DEC"};
  const auto val = [&](int v) {
    if (names_month && pick(rng, 0, 3) == 0) return std::string(kMon[static_cast<size_t>(v - 1)]);
    return std::to_string(v);
  };
  const auto some = [&]() {
    if (!bias.empty() && pick(rng, 0, 2) == 0) return bias[static_cast<size_t>(pick(rng, 0, static_cast<int>(bias.size()) - 1))];
    return pick(rng, lo, hi);
  };
  star = false;
  switch (pick(rng, 0, 6)) {
    case 0:
      if (allow_full_star) {
        star = true;
        for (int v = lo; v <= hi; ++v) values.push_back(v);
        return "*";
      }
      [[fallthrough]];
    case 1: {
      star = true;
      const int k = pick(rng, 2, std::min(hi - lo + 1, 12));
      for (int v = lo; v <= hi; v += k) values.push_back(v);
      return "*/" + std::to_string(k);
    }
    case 2: {
      const int a = some();
      const int k = pick(rng, 1, std::min(20, hi - lo + 1));
      for (int v = a; v <= hi; v += k) values.push_back(v);
      return val(a) + "/" + std::to_string(k);
    }
    case 3: {
      int a = some();
      int b = some();
      if (a > b) std::swap(a, b);
      const int k = pick(rng, 1, 4);
      for (int v = a; v <= b; v += k) values.push_back(v);
      return val(a) + "-" + val(b) + (k > 1 ? "/" + std::to_string(k) : "");
    }
    default: {
      std::string text;
      const int n = pick(rng, 1, 3);
      for (int i = 0; i < n; ++i) {
        if (!text.empty()) text += ",";
        const int a = some();
        if (pick(rng, 0, 3) == 0) {
          const int b = std::min(hi, a + pick(rng, 0, 3));
          for (int v = a; v <= b; ++v) values.push_back(v);
          text += val(a) + "-" + val(b);
        } else {
          values.push_back(a);
          text += val(a);
        }
      }
      return text;
    }
  }
}

std::string dom_field(std::mt19937_64& rng, Spec& s) {
  if (pick(rng, 0, 2) == 0) {
    bool star = false;
    std::string t = numeric_field(rng, 1, 31, s.dom_values, star, {1, 15, 28, 29, 30, 31});
    s.dom_star = star;
    if (star && pick(rng, 0, 5) == 0) t = "?";
    if (t == "?") {
      s.dom_values.clear();
      for (int v = 1; v <= 31; ++v) s.dom_values.push_back(v);
    }
    return t;
  }
  std::string text;
  const int n = pick(rng, 1, 3);
  for (int i = 0; i < n; ++i) {
    if (!text.empty()) text += ",";
    switch (pick(rng, 0, 4)) {
      case 0: {
        const int k = pick(rng, 0, 2) == 0 ? 0 : pick(rng, 1, 30);
        s.dom_last.push_back(k);
        text += k == 0 ? "L" : "L-" + std::to_string(k);
        break;
      }
      case 1: {
        const int d = pick(rng, 0, 1) ? pick(rng, 1, 3) : pick(rng, 1, 31);
        s.dom_nearest.push_back(d);
        text += std::to_string(d) + "W";
        break;
      }
      case 2:
        s.dom_last_weekday = true;
        text += "LW";
        break;
      default: {
        const int d = pick(rng, 1, 31);
        s.dom_values.push_back(d);
        text += std::to_string(d);
      }
    }
  }
  return text;
}

std::string dow_field(std::mt19937_64& rng, Spec& s) {
  static const std::array<const char*, 8> kDay{"SUN", "mon", "Tue", "WED", "thu", "FRI", "sat",
                                               "7"};
  if (pick(rng, 0, 2) != 0) {
    if (pick(rng, 0, 2) == 0) {
      s.dow_star = true;
      for (int v = 0; v < 7; ++v) s.dow_values.push_back(v);
      return pick(rng, 0, 1) ? "*" : "?";
    }
    if (pick(rng, 0, 4) == 0) {
      s.dow_star = true;
      const int k = pick(rng, 2, 6);
      for (int v = 0; v <= 6; v += k) s.dow_values.push_back(v);
      return "*/" + std::to_string(k);
    }
  }
  std::string text;
  const int n = pick(rng, 1, 3);
  for (int i = 0; i < n; ++i) {
    if (!text.empty()) text += ",";
    const int w = pick(rng, 0, 7);
    const std::string name = pick(rng, 0, 1) ? std::string(kDay[static_cast<size_t>(w)]) : std::to_string(w);
    switch (pick(rng, 0, 4)) {
      case 0:
        s.dow_last.push_back(w % 7);
        text += name + "L";
        break;
      case 1: {
        const int k = pick(rng, 1, 5);
        s.dow_nth.emplace_back(w % 7, k);
        text += name + "#" + std::to_string(k);
        break;
      }
      case 2: {
        const int b = std::min(7, w + pick(rng, 1, 4));
        for (int v = w; v <= b; ++v) s.dow_values.push_back(v % 7);
        text += std::to_string(w) + "-" + std::to_string(b);
        break;
      }
      default:
        s.dow_values.push_back(w % 7);
        text += name;
    }
  }
  return text;
}

unsigned weekday_of(date::year_month_day ymd) { return date::weekday(date::sys_days(ymd)).c_encoding(); }

}  // namespace

Spec random_spec(std::mt19937_64& rng) {
  Spec s;
  bool star = false;
  std::string sec;
  if (pick(rng, 0, 3) == 0) {
    // Sparse seconds keep the oracle fast: at most a few per minute.
    const int n = pick(rng, 1, 3);
    for (int i = 0; i < n; ++i) {
      const int v = pick(rng, 0, 59);
      s.seconds.push_back(v);
      sec += (sec.empty() ? "" : ",") + std::to_string(v);
    }
    if (pick(rng, 0, 2) == 0) {
      s.seconds.clear();
      const int k = pick(rng, 15, 40);
      for (int v = 0; v < 60; v += k) s.seconds.push_back(v);
      sec = "*/" + std::to_string(k);
    }
  } else {
    s.seconds.push_back(0);
  }
  const std::string min = numeric_field(rng, 0, 59, s.minutes, star, {0, 15, 30, 45, 59});
  const std::string hour = numeric_field(rng, 0, 23, s.hours, star, {0, 1, 2, 3, 4, 23});
  s.hour_star = star;
  const std::string dom = dom_field(rng, s);
  std::string mon;
  if (pick(rng, 0, 1) == 0) {
    mon = "*";
    for (int v = 1; v <= 12; ++v) s.months.push_back(v);
  } else {
    mon = numeric_field(rng, 1, 12, s.months, star, {2, 3, 4, 9, 10, 11, 12}, true);
  }
  const std::string dow = dow_field(rng, s);
  s.text = (sec.empty() ? "" : sec + " ") + min + " " + hour + " " + dom + " " + mon + " " + dow;
  for (auto* v : {&s.seconds, &s.minutes, &s.hours, &s.months, &s.dom_values, &s.dow_values})
    sort_unique(*v);
  return s;
}

bool day_matches(const Spec& s, date::year_month_day ymd) {
  const int m = static_cast<int>(static_cast<unsigned>(ymd.month()));
  if (!std::binary_search(s.months.begin(), s.months.end(), m)) return false;
  const int d = static_cast<int>(static_cast<unsigned>(ymd.day()));
  const int last =
      static_cast<int>(static_cast<unsigned>((ymd.year() / ymd.month() / date::last).day()));
  const auto wd_of = [&](int day) {
    return static_cast<int>(weekday_of(ymd.year() / ymd.month() / date::day(static_cast<unsigned>(day))));
  };
  const auto is_weekday = [&](int day) { return wd_of(day) != 0 && wd_of(day) != 6; };
  const int wd = wd_of(d);

  bool dom = std::binary_search(s.dom_values.begin(), s.dom_values.end(), d);
  for (int n : s.dom_last) dom = dom || d == last - n;
  for (int n : s.dom_nearest) {
    if (n > last) continue;
    // The weekday of this month closest to n (Quartz `nW`).
    int best = -1;
    for (int c = 1; c <= last; ++c)
      if (is_weekday(c) && (best < 0 || std::abs(c - n) < std::abs(best - n))) best = c;
    dom = dom || d == best;
  }
  if (s.dom_last_weekday) {
    int lw = last;
    while (!is_weekday(lw)) --lw;
    dom = dom || d == lw;
  }
  bool dow = std::binary_search(s.dow_values.begin(), s.dow_values.end(), wd);
  for (int w : s.dow_last) dow = dow || (wd == w && d + 7 > last);
  for (auto [w, k] : s.dow_nth) dow = dow || (wd == w && (d - 1) / 7 + 1 == k);
  return s.dom_star || s.dow_star ? dom && dow : dom || dow;
}

std::optional<date::sys_seconds> oracle_next(const Spec& s, const date::time_zone& zone,
                                             date::sys_seconds after, int window_days) {
  // A fire u comes from a local time L with L = u + offset(u), or for a gap
  // fire L in [u + offset before, u + offset after). So L >= after + the
  // smallest offset near `after`, and once a fire u is known no L beyond u +
  // 15 h (more than any offset) can give an earlier one.
  seconds min_off = zone.get_info(after).offset;
  for (int h = -96; h <= 96; h += 1)
    min_off = std::min(min_off, zone.get_info(after + std::chrono::hours{h}).offset);
  const date::local_seconds lower{after.time_since_epoch() + min_off - seconds{1}};
  std::optional<date::sys_seconds> best;
  const bool fixed = !s.hour_star;
  const auto first_day = date::floor<date::days>(lower);
  for (int i = 0; i < window_days; ++i) {
    const date::local_days day = first_day + date::days{i};
    if (best && date::local_seconds{day} > date::local_seconds{best->time_since_epoch() + std::chrono::hours{15}}) break;
    if (!day_matches(s, date::year_month_day{day})) continue;
    for (int h : s.hours)
      for (int m : s.minutes)
        for (int sec : s.seconds) {
          const date::local_seconds L = date::local_seconds{day} + std::chrono::hours{h} +
                                        std::chrono::minutes{m} + seconds{sec};
          if (L < lower) continue;
          const date::local_info li = zone.get_info(L);
          std::vector<date::sys_seconds> us;
          const auto at = [&](const date::sys_info& si) {
            return date::sys_seconds{L.time_since_epoch() - si.offset};
          };
          if (li.result == date::local_info::unique) {
            us.push_back(at(li.first));
          } else if (li.result == date::local_info::ambiguous) {
            us.push_back(at(li.first));
            if (!fixed) us.push_back(at(li.second));
          } else if (fixed) {
            us.push_back(li.second.begin);
          }
          for (auto u : us)
            if (u > after && (!best || u < *best)) best = u;
        }
  }
  return best;
}

}  // namespace reportd::jobs::oracle
