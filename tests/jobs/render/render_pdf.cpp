// Test and benchmark driver: renders tables to PDF and copies the file to
// OUTDIR for independent readers (pdftotext, pdffonts, pdfinfo). Usage:
//   render_pdf OUTDIR ROWS TZ [--scripts] [--wide COLUMNS] [--tables N] [--cap BYTES] [--mail]
//              [--report FILE]
// --report renders a Reports API result (JSON in FILE) after the tables.
// Prints "pages=N bytes=B seconds=S peak_rss_kb=K" on stdout. --mail also
// writes the e-mail bodies (mail.html, mail.txt) for those tables.
#include <date/tz.h>
#include <sys/resource.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "jobs/render/html_summary.hpp"
#include "jobs/render/pdf_renderer.hpp"
#include "jobs/render/sample_table.hpp"
#include "salesforce_client/report_parser.hpp"

using namespace reportd;

namespace {

// One row per script: Latin, Cyrillic, CJK, Arabic (right to left).
Status emit_scripts(table::RowSink& sink) {
  using table::CellType;
  table::TableHeader h{"Scripts",
                       {{"Script", "Script", CellType::kString},
                        {"Text", "Text", CellType::kString},
                        {"Amount", "Amount", CellType::kNumber}}};
  if (Status st = sink.begin(h); !st.ok()) return st;
  const std::array<std::pair<const char*, const char*>, 4> rows = {{
      {"Latin", "Cr\xC3\xA8me br\xC3\xBBl\xC3\xA9" "e na\xC3\xAFve"},
      {"Cyrillic", "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 \xD0\xBC\xD0\xB8\xD1\x80"},
      {"CJK", "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xAE\xE5\xA0\xB1\xE5\x91\x8A"},
      {"Arabic", "\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7 \xD8\xA8\xD8\xA7\xD9\x84\xD8\xB9\xD8\xA7"
                 "\xD9\x84\xD9\x85"},
  }};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::string amount = std::to_string(1000 * (i + 1)) + ".50";
    std::array<table::Cell, 3> c{table::Cell::string(rows[i].first),
                                 table::Cell::string(rows[i].second),
                                 table::Cell::num(1000.0 * static_cast<double>(i + 1) + 0.5, amount)};
    if (Status st = sink.row(c); !st.ok()) return st;
  }
  return sink.end({rows.size(), false});
}

// `columns` columns named "Column K", `rows` rows of "rR cK" text.
Status emit_wide(table::RowSink& sink, int columns, std::uint64_t rows) {
  table::TableHeader h{"Wide", {}};
  for (int k = 0; k < columns; ++k) {
    h.columns.push_back({"C" + std::to_string(k), "Column " + std::to_string(k), table::CellType::kString});
  }
  if (Status st = sink.begin(h); !st.ok()) return st;
  std::vector<std::string> text(static_cast<std::size_t>(columns));
  std::vector<table::Cell> cells(static_cast<std::size_t>(columns));
  for (std::uint64_t r = 0; r < rows; ++r) {
    for (int k = 0; k < columns; ++k) {
      text[static_cast<std::size_t>(k)] = "r" + std::to_string(r) + " c" + std::to_string(k);
      cells[static_cast<std::size_t>(k)] = table::Cell::string(text[static_cast<std::size_t>(k)]);
    }
    if (Status st = sink.row(cells); !st.ok()) return st;
  }
  return sink.end({rows, false});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: render_pdf OUTDIR ROWS TZ [--scripts] [--wide N] [--tables N] [--cap BYTES]\n";
    return 2;
  }
  std::string out = argv[1];
  auto rows = std::strtoull(argv[2], nullptr, 10);
  render::ScratchOptions so;
  render::PdfOptions po;
  po.tz = date::locate_zone(argv[3]);
  po.title = "Pipeline review";
  po.run_time_ms = 1733385600000;  // 2024-12-05 08:00 UTC
  bool scripts = false;
  int wide = 0;
  int tables = 1;
  bool mail = false;
  std::string report;
  for (int i = 4; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--scripts") scripts = true;
    if (a == "--wide" && i + 1 < argc) wide = std::atoi(argv[++i]);
    if (a == "--tables" && i + 1 < argc) tables = std::atoi(argv[++i]);
    if (a == "--cap" && i + 1 < argc) so.cap_bytes = std::strtoull(argv[++i], nullptr, 10);
    if (a == "--mail") mail = true;
    if (a == "--report" && i + 1 < argc) report = argv[++i];
  }
  auto scratch = render::Scratch::open(so);
  if (!scratch.ok()) {
    std::cerr << scratch.status().message() << "\n";
    return 1;
  }
  auto t0 = std::chrono::steady_clock::now();
  render::PdfRenderer pdf(**scratch, po);
  render::HtmlSummary summary(8, po.tz);
  table::TeeSink tee({&pdf, &summary});
  Status st;
  for (int t = 0; st.ok() && t < tables; ++t) {
    st = render::emit_sample_table(tee, rows, t == 0 ? "Opportunities" : "Table " + std::to_string(t + 1));
  }
  if (st.ok() && scripts) st = emit_scripts(tee);
  if (st.ok() && wide > 0) st = emit_wide(tee, wide, 30);
  if (st.ok() && !report.empty()) {
    std::ostringstream body;
    body << std::ifstream(report, std::ios::binary).rdbuf();
    st = salesforce::emit_report(body.str(), tee);
  }
  if (st.ok()) st = pdf.finish();
  if (!st.ok()) {
    std::cerr << st.message() << " [" << st.code() << "]\n";
    return 3;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto& f = (*scratch)->outputs().front();
  auto v = f->view();
  if (!v.ok()) return 1;
  std::ofstream(out + "/" + f->filename(), std::ios::binary)
      .write(v->data(), static_cast<std::streamsize>(v->size()));
  if (mail) {
    render::SummaryInput in{po.title, po.run_time_ms, po.tz, {{f->filename(), v->size()}}, {}, {},
                            "Good morning,\n\nhere is the weekly pipeline review. Rows with a "
                            "close date this month are at the top.", {}};
    in.salesforce = {{"Open the report in Salesforce",
                      "https://acme.my.salesforce.com/lightning/r/Report/00O5g000004XyZaEAK/view"}};
    render::EmailBodies b = render::render_bodies(in, summary);
    std::ofstream(out + "/mail.html") << b.html;
    std::ofstream(out + "/mail.txt") << b.text;
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::cout << "pages=" << pdf.pages() << " bytes=" << v->size() << " seconds=" << secs
            << " peak_rss_kb=" << ru.ru_maxrss << "\n";
  return 0;
}
