#pragma once
// XlsxRenderer: a RowSink writing one XLSX workbook with libxlsxwriter in
// constant-memory mode; each table becomes a sheet. Owns the libxlsxwriter
// workbook; its temp files go to the Scratch's memory-backed tmpdir and the
// output to a memfd. Blocking: call it from the run's worker thread.
//
// Choices:
// - Numbers, booleans are native cells; dates and datetimes are Excel serial
//   dates with a number format; datetimes show the wall time in options.tz.
// - Header row bold and frozen, autofilter over the data.
// - Column widths come from the content of the whole column: libxlsxwriter
//   writes <cols> when the workbook closes, so widths are set in end() from
//   running maxima, without buffering rows (capped at kMaxColumnWidth).
// - A table longer than Excel's 1,048,576 rows continues on another sheet
//   ("Name (2)"), nothing is dropped. A string longer than Excel's 32,767
//   characters is cut with a visible marker and counted in cut_cells().
// - Bounded as it grows: the sheet's temp file (in the Scratch's run
//   directory) is charged against the Scratch's caps every kCheckBytes of
//   cell text, and before the workbook closes twice its size is reserved for
//   the copy libxlsxwriter makes of it and for the compressed output, so
//   the caps hold while libxlsxwriter writes unobserved.

#include <cstdint>
#include <string>
#include <vector>

#include "jobs/render/cell_text.hpp"
#include "jobs/render/scratch.hpp"
#include "table/table.hpp"

struct lxw_workbook;
struct lxw_worksheet;
struct lxw_format;

namespace date {
class time_zone;
}

namespace reportd::render {

struct XlsxOptions {
  const date::time_zone* tz = nullptr;  // datetimes shown in this zone (null: UTC)
  std::string filename = "report.xlsx";
  // Rows per sheet before continuing on a new one (Excel's limit minus the header).
  std::uint32_t max_rows_per_sheet = 1048575;
};

class XlsxRenderer final : public table::RowSink {
 public:
  static constexpr double kMaxColumnWidth = 60;
  // About this much sheet XML is written between two looks at the temp files.
  static constexpr std::uint64_t kCheckBytes = 64 * 1024;

  XlsxRenderer(Scratch& scratch, XlsxOptions options);
  ~XlsxRenderer() override;
  XlsxRenderer(const XlsxRenderer&) = delete;
  XlsxRenderer& operator=(const XlsxRenderer&) = delete;

  Status begin(const table::TableHeader& header) override;
  Status row(std::span<const table::Cell> cells) override;
  Status end(const table::TableFooter& footer) override;
  // Closes the workbook into scratch. Call once, after the last table.
  Status finish();

  std::uint64_t cut_cells() const { return cut_cells_; }

 private:
  Status open_workbook();
  Status add_sheet(const std::string& name);
  Status close_sheet();
  std::string unique_sheet_name(std::string_view wanted);

  Scratch& scratch_;
  XlsxOptions options_;
  ZoneOffsets zone_;  // options_.tz, with the last offset's span remembered
  ScratchFile* file_ = nullptr;
  lxw_workbook* workbook_ = nullptr;
  lxw_worksheet* sheet_ = nullptr;
  lxw_format* header_format_ = nullptr;
  lxw_format* date_format_ = nullptr;
  lxw_format* datetime_format_ = nullptr;
  table::TableHeader header_;
  std::vector<double> widths_;
  std::vector<std::string> sheet_names_;
  std::uint32_t sheet_rows_ = 0;  // data rows on the current sheet
  int part_ = 1;
  std::uint64_t cut_cells_ = 0;
  std::uint64_t unchecked_bytes_ = 0;  // estimated sheet XML since the last look
  std::string text_;
};

}  // namespace reportd::render
