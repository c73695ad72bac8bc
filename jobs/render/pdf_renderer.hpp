#pragma once
// PdfRenderer: a RowSink writing one paginated PDF (A4) with Cairo and
// Pango: every table of the run, each starting on a new page. Pages are
// written into a Scratch memfd as they fill, so memory stays flat with the
// row count, and every byte counts against the Scratch's caps as it is
// written. Blocking; the run's thread, one call at a time (finish() may run
// on another thread afterwards).
//
// Choices:
// - Title (the schedule's name or subject) and the run's time in the
//   schedule's zone on the first page of each table; a short running head,
//   the column headers and a "Page N" footer on every page.
// - Column widths come from the headers and the first sample_rows rows of
//   the table (the rows are held until then, then drawn); later rows wrap
//   into those widths. Portrait when the columns fit, else landscape; a
//   table wider than a landscape page shares its width out (pdf_layout.hpp).
//   A cell wraps to at most PdfDocument::kMaxCellLines lines, then is cut
//   with an ellipsis.
// - Numbers right-aligned; dates ISO; datetimes as wall time in the
//   schedule's zone; text in any script (bidi by Pango).
// - Grouped (summary, matrix) reports: the grouping columns are not
//   repeated on every row. A band with the group's value ("Stage:
//   Prospecting") opens each group and a band with its subtotals closes it
//   (Salesforce's aggregates as Salesforce formats them), then come a
//   matrix's column totals and the grand total. A matrix is flattened: its
//   across groups nest inside its down groups, one band each.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "jobs/render/pdf_layout.hpp"
#include "jobs/render/scratch.hpp"
#include "table/table.hpp"

namespace date {
class time_zone;
}

namespace reportd::render {

class PdfDocument;

struct PdfOptions {
  const date::time_zone* tz = nullptr;  // run time and datetimes in this zone (null: UTC)
  std::string filename = "report.pdf";
  std::string title = "Report";
  std::int64_t run_time_ms = 0;    // the occurrence, UTC
  std::size_t sample_rows = 40;    // rows measured before the column widths are fixed
};

class PdfRenderer final : public table::RowSink {
 public:
  PdfRenderer(Scratch& scratch, PdfOptions options);
  ~PdfRenderer() override;
  PdfRenderer(const PdfRenderer&) = delete;
  PdfRenderer& operator=(const PdfRenderer&) = delete;

  Status begin(const table::TableHeader& header) override;
  Status row(std::span<const table::Cell> cells) override;
  Status end(const table::TableFooter& footer) override;
  Status group(const table::GroupStart& start) override;
  Status subtotal(const table::Subtotal& total) override;
  // Ends the last page and writes the fonts and trailer. Call once, after
  // the last table (a run without tables gets one page saying so).
  Status finish();

  std::uint64_t pages() const { return pages_; }

 private:
  Status open_document();
  void fix_layout();
  // A line of the table: a row (its cells' texts) or a band across the
  // table (a group's start or its totals); held until the layout is fixed.
  struct Line {
    std::vector<std::string> texts;  // a band: its one text
    bool band = false;
    bool total = false;     // a band of totals: bold, a rule above
    std::size_t level = 0;  // a band's indent
  };
  Status add_band(std::string text, std::size_t level, bool total);
  Status draw_row(std::vector<std::string>& texts);
  Status draw_band(Line& band);
  void open_page();
  void close_page();
  void draw_column_headers();
  void cell_texts(std::span<const table::Cell> cells, std::vector<std::string>& out) const;
  void wipe_rows();

  Scratch& scratch_;
  PdfOptions options_;
  ScratchFile* file_ = nullptr;
  std::unique_ptr<PdfDocument> doc_;
  table::TableHeader header_;
  std::vector<std::string> labels_;
  std::vector<bool> right_;                    // per column: right-aligned (numbers)
  std::size_t skip_ = 0;                      // leading grouping columns, shown as bands
  std::vector<Line> held_;                    // lines before the layout is fixed
  std::vector<std::string> texts_;
  TableGeometry geometry_;
  bool laid_out_ = false;
  bool page_open_ = false;
  bool table_start_ = false;  // the next page is the first of its table
  double y_ = 0;
  double bottom_ = 0;
  std::uint64_t pages_ = 0;
  std::uint64_t table_rows_ = 0;
  std::string run_time_;
};

}  // namespace reportd::render
