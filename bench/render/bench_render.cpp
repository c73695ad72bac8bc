// Renders the synthetic sample table (7 typed columns, see
// jobs/render/sample_table.hpp) to CSV, XLSX or PDF in memory-only scratch and
// prints rows/s by wall clock and by CPU time (medians of RUNS; the CPU
// figure is steadier on a shared machine) and the process's peak RSS.
//   bench_render csv|xlsx|pdf [ROWS=1000000] [RUNS=5]
// pdf also prints pages per second (median).
// Run each format in its own process: peak RSS is per process. Scratch bytes
// live in memfds/tmpfs and are reported apart (they are not in RSS unless mapped).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "jobs/render/csv_renderer.hpp"
#include "jobs/render/pdf_renderer.hpp"
#include "jobs/render/sample_table.hpp"
#include "jobs/render/xlsx_renderer.hpp"

using namespace reportd;

int main(int argc, char** argv) {
  std::string format = argc > 1 ? argv[1] : "csv";
  std::uint64_t rows = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1000000;
  int runs = argc > 3 ? std::atoi(argv[3]) : 5;
  std::vector<double> rates, cpu_rates, page_rates;
  auto cpu_seconds = [] {
    struct rusage u {};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  };
  std::uint64_t bytes = 0;
  for (int i = 0; i < runs; ++i) {
    render::ScratchOptions so;
    so.cap_bytes = 4ull << 30;
    auto scratch = render::Scratch::open(so);
    if (!scratch.ok()) {
      std::fprintf(stderr, "%s\n", scratch.status().message().c_str());
      return 1;
    }
    auto t0 = std::chrono::steady_clock::now();
    double c0 = cpu_seconds();
    Status st;
    if (format == "csv") {
      render::CsvRenderer r(**scratch, render::CsvOptions());
      st = render::emit_sample_table(r, rows);
    } else if (format == "pdf") {
      render::PdfRenderer r(**scratch, render::PdfOptions());
      st = render::emit_sample_table(r, rows);
      if (st.ok()) st = r.finish();
      auto s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      page_rates.push_back(static_cast<double>(r.pages()) / s);
    } else {
      render::XlsxRenderer r(**scratch, render::XlsxOptions());
      st = render::emit_sample_table(r, rows);
      if (st.ok()) st = r.finish();
    }
    auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!st.ok()) {
      std::fprintf(stderr, "%s\n", st.message().c_str());
      return 1;
    }
    bytes = (*scratch)->used_bytes();
    rates.push_back(static_cast<double>(rows) / secs);
    cpu_rates.push_back(static_cast<double>(rows) / (cpu_seconds() - c0));
  }
  std::sort(rates.begin(), rates.end());
  std::sort(cpu_rates.begin(), cpu_rates.end());
  std::sort(page_rates.begin(), page_rates.end());
  if (!page_rates.empty()) std::printf("median_pages_per_s=%.1f ", page_rates[page_rates.size() / 2]);
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("format=%s rows=%llu runs=%d median_rows_per_s=%.0f min=%.0f max=%.0f output_bytes=%llu "
              "median_rows_per_cpu_s=%.0f peak_rss_kib=%ld\n",
              format.c_str(), static_cast<unsigned long long>(rows), runs, rates[rates.size() / 2], rates.front(),
              rates.back(), static_cast<unsigned long long>(bytes), cpu_rates[cpu_rates.size() / 2], ru.ru_maxrss);
  return 0;
}
