#pragma once
// The fixed XML parts of an XLSX workbook (SpreadsheetML, ECMA-376) and the
// head and tail of each sheet around its rows. Pure functions; any thread.
// The package holds [Content_Types].xml, _rels/.rels, xl/workbook.xml,
// xl/_rels/workbook.xml.rels, xl/styles.xml and xl/worksheets/sheetN.xml.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace reportd::render::xlsx {

// Cell style indexes (cellXfs) of styles_xml().
inline constexpr int kStyleBold = 1;
inline constexpr int kStyleDate = 2;      // yyyy-mm-dd
inline constexpr int kStyleDateTime = 3;  // yyyy-mm-dd hh:mm:ss

struct SheetInfo {
  std::string name;         // unique, Excel-valid
  std::uint32_t rows = 0;   // data rows, below the header row
  std::size_t columns = 0;  // 0: no header, no filter
  std::vector<double> widths;  // in characters, one per column
};

std::string content_types_xml(std::size_t sheets);
std::string root_rels_xml();
std::string workbook_xml(const std::vector<SheetInfo>& sheets);
std::string workbook_rels_xml(std::size_t sheets);
std::string styles_xml();
// From the XML declaration to <sheetData> (dimension, frozen header, widths).
std::string sheet_head_xml(const SheetInfo& sheet, bool selected);
// From </sheetData> to the end (autofilter over header and data).
std::string sheet_tail_xml(const SheetInfo& sheet);

// "A", "B", ..., "Z", "AA", ... for a 0-based column.
std::string column_name(std::size_t column);
// Appends `text` escaped as XML character data: & < > as entities, and
// control characters other than tab and line feed as OOXML's _xHHHH_ (as
// libxlsxwriter did; Excel reads them back as the characters).
void append_escaped(std::string& out, std::string_view text);

}  // namespace reportd::render::xlsx
