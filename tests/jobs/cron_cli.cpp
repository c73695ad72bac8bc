// jobs_cron_cli: a batch front end to parse_cron() + next_fire() for the
// croniter comparison (croniter_compare.py) and the fuzz target's seeds.
// Reads lines "EXPR<TAB>ZONE<TAB>FROM_RFC3339<TAB>N" from stdin and prints,
// per line, the next N fires as UTC RFC 3339 separated by spaces ("never"
// ends a short list), or "error: <message>".
#include <iostream>
#include <string>

#include "jobs/cron.hpp"
#include "jobs/cron_explain.hpp"
#include "jobs/next_fire.hpp"

namespace {

std::string answer(const std::string& line) {
  std::string f[4];
  std::size_t start = 0;
  for (int i = 0; i < 4; ++i) {
    const std::size_t tab = line.find('\t', start);
    f[i] = line.substr(start, i == 3 ? std::string::npos : tab - start);
    if (i < 3 && tab == std::string::npos) return "error: expected 4 tab-separated fields";
    start = tab + 1;
  }
  auto expr = reportd::jobs::parse_cron(f[0]);
  if (!expr.ok()) return "error: " + expr.status().message();
  auto zone = reportd::jobs::find_zone(f[1]);
  if (!zone.ok()) return "error: " + zone.status().message();
  auto from = reportd::jobs::parse_rfc3339(f[2]);
  if (!from.ok()) return "error: " + from.status().message();
  const int n = std::stoi(f[3]);
  std::string out;
  date::sys_seconds t = *from;
  for (int i = 0; i < n; ++i) {
    auto fire = reportd::jobs::next_fire(*expr, **zone, t);
    if (!out.empty()) out += ' ';
    if (!fire) return out + "never";
    out += date::format("%FT%TZ", fire->utc);
    t = fire->utc;
  }
  return out;
}

}  // namespace

int main() {
  std::string line;
  while (std::getline(std::cin, line)) std::cout << answer(line) << '\n';
  return 0;
}
