// reportd-bench-parse: the client's Boost.JSON SAX page parser against
// simdjson On-Demand doing the same work (ondemand_page.hpp), on the same
// saved query pages, interleaved: each round parses every page with both,
// in alternating order, and times each pass in thread CPU time (so other
// processes on a loaded machine count less than with a wall clock). Prints
// the median (min-max) per page of each parser over the rounds, and checks
// that both gave the same cells (a digest of every cell's type and text).
//
//   reportd-bench-parse [--rounds N] [--select "SELECT ... FROM X"] PAGE.json...
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ondemand_page.hpp"
#include "salesforce_client/query_page.hpp"
#include "salesforce_client/soql_fields.hpp"

using namespace reportd;

namespace {

constexpr const char* kDefaultSoql =
    "SELECT Id, Name, Account.Name, Owner.Name, StageName, Amount, Probability, "
    "TotalOpportunityQuantity, CloseDate, IsWon, LeadSource, CreatedDate, SystemModstamp "
    "FROM Opportunity";

// FNV-1a over every cell's type and text (and number, boolean, day, millis).
class DigestSink final : public table::RowSink {
 public:
  Status begin(const table::TableHeader&) override { return {}; }
  Status row(std::span<const table::Cell> cells) override {
    ++rows;
    for (const auto& c : cells) {
      mix(&c.type, sizeof c.type);
      mix(c.text.data(), c.text.size());
      mix(&c.number, sizeof c.number);
      mix(&c.boolean, sizeof c.boolean);
      mix(&c.days, sizeof c.days);
      mix(&c.millis, sizeof c.millis);
    }
    return {};
  }
  Status end(const table::TableFooter&) override { return {}; }
  std::uint64_t rows = 0, digest = 1469598103934665603ull;

 private:
  void mix(const void* p, std::size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i) digest = (digest ^ b[i]) * 1099511628211ull;
  }
};

double thread_cpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Counts rows and touches every text byte, as a renderer would read them.
class CountingSink final : public table::RowSink {
 public:
  Status begin(const table::TableHeader&) override { return {}; }
  Status row(std::span<const table::Cell> cells) override {
    ++rows;
    for (const auto& c : cells)
      for (char ch : c.text) sum += static_cast<unsigned char>(ch);
    return {};
  }
  Status end(const table::TableFooter&) override { return {}; }
  std::uint64_t rows = 0, sum = 0;
};

std::string spread(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.2f (%.2f-%.2f)", v[v.size() / 2] * 1e3, v.front() * 1e3,
                v.back() * 1e3);
  return buf;
}

// The file's bytes with SIMDJSON_PADDING of capacity behind them (On-Demand
// reads past the end).
std::string read_padded(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string body = ss.str();
  body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  return body;
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 50;
  std::string soql = kDefaultSoql;
  std::vector<std::string> pages;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--rounds" && i + 1 < argc) {
      rounds = std::atoi(argv[++i]);
    } else if (a == "--select" && i + 1 < argc) {
      soql = argv[++i];
    } else {
      pages.push_back(read_padded(a));
    }
  }
  if (pages.empty() || rounds < 1) {
    std::fprintf(stderr, "usage: reportd-bench-parse [--rounds N] [--select SOQL] PAGE.json...\n");
    return 2;
  }
  auto fields = salesforce::parse_select_list(soql);
  if (!fields) {
    std::fprintf(stderr, "%s\n", fields.status().message().c_str());
    return 2;
  }
  salesforce::QueryPageParser sax(fields.value());
  bench::OnDemandPage ondemand(fields.value());

  // Same cells from both, page by page.
  std::size_t bytes = 0;
  std::uint64_t rows = 0;
  for (const auto& p : pages) {
    DigestSink a, b;
    auto info = sax.parse(p, a);
    const long n =
        ondemand.parse(simdjson::padded_string_view(p.data(), p.size(), p.capacity()), b);
    if (!info || n < 0 || a.rows != b.rows || a.digest != b.digest) {
      std::fprintf(stderr, "the parsers disagree on a page (%llu vs %ld rows)\n",
                   static_cast<unsigned long long>(a.rows), n);
      return 1;
    }
    bytes += p.size();
    rows += a.rows;
  }

  std::vector<double> t_sax, t_od;  // per page, one value per round
  CountingSink sink;
  for (int r = 0; r < rounds; ++r) {
    for (int side = 0; side < 2; ++side) {
      const bool od_first = r % 2 == 1;
      const bool run_od = (side == 0) == od_first;
      const double t0 = thread_cpu();
      for (const auto& p : pages) {
        if (run_od)
          (void)ondemand.parse(simdjson::padded_string_view(p.data(), p.size(), p.capacity()),
                               sink);
        else
          (void)sax.parse(p, sink);
      }
      const double per_page = (thread_cpu() - t0) / static_cast<double>(pages.size());
      (run_od ? t_od : t_sax).push_back(per_page);
    }
  }
  std::sort(t_sax.begin(), t_sax.end());
  std::sort(t_od.begin(), t_od.end());
  const double mb = static_cast<double>(bytes) / static_cast<double>(pages.size()) / 1e6;
  std::printf(
      "%zu pages, %.0f rows and %.2f MB a page, %d rounds (thread CPU ms per page, median "
      "(min-max)):\n",
      pages.size(), static_cast<double>(rows) / static_cast<double>(pages.size()), mb, rounds);
  std::printf("  Boost.JSON SAX (QueryPageParser)  %s  %.0f MB/s\n", spread(t_sax).c_str(),
              mb / t_sax[t_sax.size() / 2]);
  std::printf("  simdjson On-Demand (%s)  %s  %.0f MB/s\n",
              simdjson::get_active_implementation()->name().c_str(), spread(t_od).c_str(),
              mb / t_od[t_od.size() / 2]);
  std::printf("  SAX / On-Demand: %.2fx (same cells: yes) [%llu]\n",
              t_sax[t_sax.size() / 2] / t_od[t_od.size() / 2],
              static_cast<unsigned long long>(sink.sum % 10));
  return 0;
}
