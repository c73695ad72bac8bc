#pragma once
// XlsxRenderer: a RowSink writing one XLSX workbook (SpreadsheetML in a zip,
// jobs/render/xlsx_parts.hpp and xlsx_zip.hpp); each table becomes a sheet.
// Each sheet's rows are compressed as they arrive into an unlinked temp file
// in the Scratch's memory-backed tmpdir; finish() writes the package to a
// memfd. Blocking: call it from the run's worker thread.
//
// Choices:
// - Numbers, booleans are native cells; dates and datetimes are Excel serial
//   dates with a number format; datetimes show the wall time in options.tz.
//   Numbers are written as printf's %.16G would (as libxlsxwriter did), by
//   std::to_chars, not printf. Strings are inline (no shared-string table to
//   grow with the data); empty strings and nulls are empty cells. A cell
//   carries its reference (r="C7") only after a gap in its row.
// - Header row bold and frozen, autofilter over the data.
// - Column widths come from the content of the whole column: <cols> comes
//   before the rows in a sheet, so a sheet's head is compressed apart at
//   finish() and joined to its rows (deflate pieces end on sync flushes).
// - A table longer than Excel's 1,048,576 rows continues on another sheet
//   ("Name (2)"), nothing is dropped. A string longer than Excel's 32,767
//   characters is cut with a visible marker and counted in cut_cells().
// - Bounded as it grows: the temp files are charged against the Scratch's
//   caps every kCheckBytes of compressed rows, and the package is appended
//   to its memfd through ScratchFile::append, so the caps hold throughout.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "jobs/render/cell_text.hpp"
#include "jobs/render/scratch.hpp"
#include "jobs/render/xlsx_parts.hpp"
#include "table/table.hpp"

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
  // About this many compressed bytes reach the temp files between two looks.
  static constexpr std::uint64_t kCheckBytes = 64 * 1024;
  // Sheet XML is buffered up to this size before it is compressed.
  static constexpr std::size_t kXmlBlock = 128 * 1024;

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
  struct Sheet;
  Status add_sheet(const std::string& name);
  Status close_sheet();
  // Compresses the buffered XML; looks at the temp files every kCheckBytes.
  Status flush_xml();
  void append_cell_ref(std::size_t column);
  void append_string_cell(std::size_t column, std::string_view text, int style);
  void append_number_cell(std::size_t column, double value, int style);
  std::string unique_sheet_name(std::string_view wanted);
  Status write_package();

  Scratch& scratch_;
  XlsxOptions options_;
  ZoneOffsets zone_;  // options_.tz, with the last offset's span remembered
  ScratchFile* file_ = nullptr;  // the workbook, made at the first table
  table::TableHeader header_;
  std::vector<std::unique_ptr<Sheet>> sheets_;  // closed ones, then the open one
  Sheet* sheet_ = nullptr;                      // open, or null between tables
  std::vector<std::string> column_refs_;        // "A", "B", ... of the open sheet
  char row_ref_[12] = {};                       // the row number being written
  std::size_t row_ref_len_ = 0;
  std::size_t next_column_ = 0;                 // where a cell without r="" goes
  std::string xml_;                             // sheet XML not yet compressed
  std::uint64_t checked_bytes_ = 0;             // compressed bytes at the last look
  int part_ = 1;
  std::uint64_t cut_cells_ = 0;
  std::string text_;
};

}  // namespace reportd::render
