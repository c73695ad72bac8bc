#pragma once
// CsvRenderer: a RowSink writing RFC 4180 CSV (UTF-8, CRLF, header row of
// labels) into scratch, one file per table. Owns only a small write buffer;
// used from the run's thread, one call at a time.
//
// Formula-injection guard (on by default): a string cell whose first
// character is '=', '+', '-', '@', TAB or CR is prefixed with a single quote
// ('), so spreadsheet programs show it as text instead of running it
// (OWASP "CSV injection"). Numbers, dates and booleans are never changed, so
// -5 stays -5.

#include <string>

#include "jobs/render/cell_text.hpp"
#include "jobs/render/scratch.hpp"
#include "table/table.hpp"

namespace date {
class time_zone;
}

namespace reportd::render {

struct CsvOptions {
  bool bom = false;                     // UTF-8 BOM first, for Excel on Windows
  bool formula_guard = true;            // see above
  const date::time_zone* tz = nullptr;  // datetimes are written in this zone (null: UTC)
  std::string base_name = "report";     // file name without ".csv"
};

class CsvRenderer final : public table::RowSink {
 public:
  CsvRenderer(Scratch& scratch, CsvOptions options);
  ~CsvRenderer() override;
  CsvRenderer(const CsvRenderer&) = delete;
  CsvRenderer& operator=(const CsvRenderer&) = delete;

  Status begin(const table::TableHeader& header) override;
  Status row(std::span<const table::Cell> cells) override;
  Status end(const table::TableFooter& footer) override;

  std::uint64_t rows() const { return rows_; }
  // True when no byte of the write block holds a row (after end(): tests).
  bool block_wiped() const;

 private:
  Status flush();
  // Makes room for `n` more bytes in the block (flushing, or growing it for
  // a row larger than the block) and returns where they go.
  Result<char*> room(std::size_t n);
  // Writes one field at `out` (at most field_bound(text) bytes); returns its end.
  char* put_field(char* out, std::string_view text, bool guard) const;

  Scratch& scratch_;
  CsvOptions options_;
  ZoneOffsets zone_;
  ScratchFile* file_ = nullptr;
  std::string buf_;  // a fixed block: used_ bytes of it hold CSV
  std::size_t used_ = 0;
  // How much of buf_ rows have written since it was last wiped: the next
  // rows write over it, and it is wiped when the table ends (or the
  // renderer goes), not after every flush.
  std::size_t dirty_ = 0;
  int tables_ = 0;
  std::uint64_t rows_ = 0;
};

// True when `text` would be neutralised by the guard.
bool needs_formula_guard(std::string_view text);

}  // namespace reportd::render
