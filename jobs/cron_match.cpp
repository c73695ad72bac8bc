#include "jobs/cron_match.hpp"

#include <bit>

namespace reportd::jobs {
namespace {

using std::chrono::seconds;

constexpr int kHorizonMonths = 400 * 12 + 1;

// The lowest set bit at or above `from`, or -1.
int next_bit(std::uint64_t mask, int from) {
  if (from >= 64) return -1;
  const std::uint64_t rest = mask & (~std::uint64_t{0} << from);
  return rest == 0 ? -1 : std::countr_zero(rest);
}

// The first time of day >= `tod` (seconds since midnight) in the hour, minute
// and second sets, or -1 when the rest of the day has none.
int next_time_of_day(const CronExpr& e, int tod) {
  const int h0 = tod / 3600;
  const int m0 = tod / 60 % 60;
  const int s0 = tod % 60;
  for (int h = next_bit(e.hours, h0); h >= 0; h = next_bit(e.hours, h + 1)) {
    for (int m = next_bit(e.minutes, h == h0 ? m0 : 0); m >= 0; m = next_bit(e.minutes, m + 1)) {
      const int s = next_bit(e.seconds, h == h0 && m == m0 ? s0 : 0);
      if (s >= 0) return h * 3600 + m * 60 + s;
    }
  }
  return -1;
}

}  // namespace

std::uint32_t matching_days(const CronExpr& e, date::year_month ym) {
  const auto month = static_cast<unsigned>(ym.month());
  if (!(e.months >> month & 1)) return 0;
  const int last = static_cast<int>(static_cast<unsigned>((ym / date::last).day()));
  const auto valid = static_cast<std::uint32_t>(((std::uint64_t{1} << (last + 1)) - 1) & ~std::uint64_t{1});
  const int first_wd = static_cast<int>(date::weekday(ym / 1).c_encoding());
  const auto wd = [&](int d) { return (first_wd + d - 1) % 7; };
  const auto bit = [](int d) { return std::uint32_t{1} << d; };

  std::uint32_t dom = e.days;
  for (int n = 0; n <= 30; ++n)
    if ((e.days_before_last >> n & 1) && last - n >= 1) dom |= bit(last - n);
  for (int n = 1; n <= last; ++n) {
    if (!(e.nearest_weekday >> n & 1)) continue;
    int d = n;  // the weekday nearest to n, never leaving the month
    if (wd(n) == 6) d = n == 1 ? 3 : n - 1;
    if (wd(n) == 0) d = n == last ? n - 2 : n + 1;
    dom |= bit(d);
  }
  if (e.last_weekday) dom |= bit(wd(last) == 6 ? last - 1 : wd(last) == 0 ? last - 2 : last);

  std::uint32_t dow = 0;
  for (int w = 0; w < 7; ++w) {
    const int first = 1 + (w - first_wd + 7) % 7;  // first day of the month that is a w
    if (e.weekdays >> w & 1)
      for (int d = first; d <= last; d += 7) dow |= bit(d);
    if (e.last_of_weekday >> w & 1) dow |= bit(first + 7 * ((last - first) / 7));
    for (int k = 1; k <= 5; ++k)
      if ((e.nth_weekday >> ((k - 1) * 7 + w) & 1) && first + 7 * (k - 1) <= last)
        dow |= bit(first + 7 * (k - 1));
  }
  return (e.days_or() ? dom | dow : dom & dow) & valid;
}

std::optional<date::local_seconds> next_local_match(const CronExpr& e, date::local_seconds from) {
  const auto day = date::floor<date::days>(from);
  const date::year_month_day ymd{day};
  const unsigned d0 = static_cast<unsigned>(ymd.day());
  date::year_month ym = ymd.year() / ymd.month();
  std::uint32_t mask = matching_days(e, ym);
  if (mask >> d0 & 1) {
    const int tod = next_time_of_day(e, static_cast<int>((from - day).count()));
    if (tod >= 0) return date::local_seconds{day} + seconds{tod};
  }
  mask &= static_cast<std::uint32_t>(~((std::uint64_t{2} << d0) - 1));  // days after d0
  const seconds first_tod{next_time_of_day(e, 0)};
  for (int i = 0; i < kHorizonMonths; ++i) {
    if (mask != 0) {
      const auto d = date::day{static_cast<unsigned>(std::countr_zero(mask))};
      return date::local_seconds{date::local_days{ym / d}} + first_tod;
    }
    ym += date::months{1};
    mask = matching_days(e, ym);
  }
  return std::nullopt;
}

}  // namespace reportd::jobs
