#include "jobs/cron_explain.hpp"

#include <cstdio>
#include <sstream>
#include <vector>

#include <boost/json.hpp>

#include "jobs/cron.hpp"
#include "jobs/next_fire.hpp"

namespace reportd::jobs {
namespace {

using std::chrono::seconds;

std::string utc_text(date::sys_seconds t) { return date::format("%FT%TZ", t); }

// "2026-03-29T03:00:00+02:00"
std::string local_text(date::sys_seconds t, const date::time_zone& zone) {
  const date::sys_info info = zone.get_info(t);
  const auto local = date::local_seconds{t.time_since_epoch() + info.offset};
  const auto off = info.offset.count();
  const auto a = off < 0 ? -off : off;
  char buf[8];
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", off < 0 ? '-' : '+', static_cast<int>(a / 3600),
                static_cast<int>(a / 60 % 60));
  return date::format("%FT%T", local) + buf;
}

std::string reason(const Fire& f) {
  const std::string nominal = date::format("%F %T", f.local);
  switch (f.dst) {
    case DstNote::kNone: return {};
    case DstNote::kGapShifted:
      return nominal + " does not exist (clocks go forward); fires once when the gap ends";
    case DstNote::kRepeatedFirst:
      return nominal + " occurs twice (clocks go back); this is the first";
    case DstNote::kRepeatedSecond:
      return nominal + " occurs twice (clocks go back); interval-like, so it fires again";
  }
  return {};
}

}  // namespace

Result<date::sys_seconds> parse_rfc3339(const std::string& text) {
  std::istringstream in(text);
  date::sys_time<std::chrono::microseconds> t;
  if (!text.empty() && (text.back() == 'Z' || text.back() == 'z')) {
    in.str(text.substr(0, text.size() - 1));
    in >> date::parse("%FT%T", t);
  } else {
    in >> date::parse("%FT%T%Ez", t);
  }
  if (in.fail() || in.peek() != std::char_traits<char>::eof())
    return Status::error(ErrorKind::kInvalidArgument,
                         "--from `" + text +
                             "` is not an RFC 3339 time; write e.g. 2026-03-29T01:00:00Z or "
                             "2026-03-29T03:00:00+02:00");
  return date::floor<seconds>(t);
}

Result<std::string> cron_explain(const ExplainOptions& o, date::sys_seconds now) {
  auto expr = parse_cron(o.expression);
  if (!expr.ok()) return std::move(expr).status().with_context("cron");
  auto zone = find_zone(o.zone);
  if (!zone.ok()) return std::move(zone).status().with_context("--tz");
  if (o.count < 1 || o.count > 1000)
    return Status::error(ErrorKind::kInvalidArgument, "-n " + std::to_string(o.count) +
                                                          " is out of range; use 1-1000");
  date::sys_seconds from = now;
  if (o.from) {
    auto f = parse_rfc3339(*o.from);
    if (!f.ok()) return f.status();
    from = *f;
  }
  // Fires strictly after `from`: start the search one second earlier so an
  // occurrence exactly at `from` is listed.
  std::vector<Fire> fires;
  date::sys_seconds cursor = from - seconds{1};
  for (int i = 0; i < o.count; ++i) {
    auto f = next_fire(*expr, **zone, cursor);
    if (!f) break;
    fires.push_back(*f);
    cursor = f->utc;
  }
  const std::string normalized = to_string(*expr);
  const char* kind = expr->interval_like() ? "interval-like" : "fixed-time";

  if (o.json) {
    boost::json::object out;
    out["expression"] = o.expression;
    out["normalized"] = normalized;
    out["zone"] = o.zone;
    out["kind"] = kind;
    out["from"] = utc_text(from);
    boost::json::array arr;
    for (const Fire& f : fires) {
      boost::json::object j;
      j["utc"] = utc_text(f.utc);
      j["local"] = local_text(f.utc, **zone);
      j["nominal_local"] = date::format("%FT%T", f.local);
      j["moved_by_dst"] = f.moved_by_dst();
      if (f.dst == DstNote::kNone) {
        j["dst"] = nullptr;
      } else {
        j["dst"] = to_string(f.dst);
        j["reason"] = reason(f);
      }
      arr.push_back(std::move(j));
    }
    out["fires"] = std::move(arr);
    out["never"] = fires.empty();
    return boost::json::serialize(out) + "\n";
  }

  std::string text = "expression: " + normalized + " (" + kind + ")\nzone: " + o.zone +
                     "\nfrom: " + utc_text(from) + "\n";
  if (fires.empty()) return text + "never fires\n";
  text += "next " + std::to_string(fires.size()) + " fires (local, UTC):\n";
  for (const Fire& f : fires) {
    text += "  " + local_text(f.utc, **zone) + "  " + utc_text(f.utc);
    if (f.moved_by_dst()) text += "  [moved by DST] " + reason(f);
    else if (f.dst != DstNote::kNone) text += "  [DST] " + reason(f);
    text += "\n";
  }
  return text;
}

}  // namespace reportd::jobs
