// Test driver: renders the sample table to CSV and XLSX and copies the bytes
// to OUTDIR for independent readers. Usage:
//   render_sample OUTDIR ROWS TZ [--bom] [--sheet-rows N] [--tables N]
#include <date/tz.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "jobs/render/csv_renderer.hpp"
#include "jobs/render/sample_table.hpp"
#include "jobs/render/xlsx_renderer.hpp"

using namespace reportd;

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: render_sample OUTDIR ROWS TZ [--bom] [--sheet-rows N] [--tables N]\n";
    return 2;
  }
  std::string out = argv[1];
  auto rows = std::strtoull(argv[2], nullptr, 10);
  const date::time_zone* tz = date::locate_zone(argv[3]);
  render::CsvOptions csv;
  csv.tz = tz;
  render::XlsxOptions xlsx;
  xlsx.tz = tz;
  int tables = 1;
  for (int i = 4; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--bom") csv.bom = true;
    if (a == "--sheet-rows" && i + 1 < argc) xlsx.max_rows_per_sheet = static_cast<std::uint32_t>(std::atoi(argv[++i]));
    if (a == "--tables" && i + 1 < argc) tables = std::atoi(argv[++i]);
  }
  auto scratch = render::Scratch::open({});
  if (!scratch.ok()) {
    std::cerr << scratch.status().message() << "\n";
    return 1;
  }
  render::CsvRenderer c(**scratch, csv);
  render::XlsxRenderer x(**scratch, xlsx);
  table::TeeSink tee({&c, &x});
  for (int t = 0; t < tables; ++t) {
    Status st = render::emit_sample_table(tee, rows, t == 0 ? "Opportunities" : "Sheet " + std::to_string(t + 1));
    if (!st.ok()) {
      std::cerr << st.message() << "\n";
      return 1;
    }
  }
  if (Status st = x.finish(); !st.ok()) {
    std::cerr << st.message() << "\n";
    return 1;
  }
  for (const auto& f : (*scratch)->outputs()) {
    auto v = f->view();
    if (!v.ok()) return 1;
    std::ofstream(out + "/" + f->filename(), std::ios::binary).write(v->data(), static_cast<std::streamsize>(v->size()));
    std::cout << f->filename() << "\n";
  }
  return 0;
}
