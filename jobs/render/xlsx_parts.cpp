#include "jobs/render/xlsx_parts.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <string_view>

namespace reportd::render::xlsx {
namespace {

constexpr std::string_view kDecl = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";
constexpr std::string_view kMainNs = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
constexpr std::string_view kRelNs = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
constexpr std::string_view kPkgRelNs = "http://schemas.openxmlformats.org/package/2006/relationships";

// 1: the byte needs escaping in character data.
constexpr std::array<bool, 256> kEscape = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[static_cast<std::size_t>(c)] = c != '\t' && c != '\n';
  t['&'] = t['<'] = t['>'] = true;
  return t;
}();

// "A1:G501" for the header row and `rows` data rows over `columns` columns.
std::string range_of(const SheetInfo& s) {
  std::size_t last_col = s.columns == 0 ? 0 : s.columns - 1;
  std::string r = "A1";
  if (last_col > 0 || s.rows > 0) r += ":" + column_name(last_col) + std::to_string(s.rows + 1);
  return r;
}

// libxlsxwriter's stored width for a width in characters (Calibri 11:
// 7-pixel digits, 5 pixels of padding), so columns look as they did.
double stored_width(double chars) {
  if (chars <= 1) return std::floor(chars * 12.0 / 7.0 * 256.0) / 256.0;
  return std::floor((chars * 7.0 + 5.0) / 7.0 * 256.0) / 256.0;
}

std::string num(double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

}  // namespace

std::string column_name(std::size_t column) {
  std::string out;
  for (std::size_t n = column + 1; n > 0; n = (n - 1) / 26) {
    out.insert(out.begin(), static_cast<char>('A' + (n - 1) % 26));
  }
  return out;
}

void append_escaped(std::string& out, std::string_view text) {
  std::size_t plain = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (!kEscape[c]) continue;
    out.append(text.data() + plain, i - plain);
    plain = i + 1;
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      char e[7] = {'_', 'x', '0', '0', kHex[c >> 4], kHex[c & 15], '_'};
      out.append(e, sizeof e);
    }
  }
  out.append(text.data() + plain, text.size() - plain);
}

std::string content_types_xml(std::size_t sheets) {
  std::string x(kDecl);
  x += "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
       "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
       "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
       "<Override PartName=\"/xl/workbook.xml\" "
       "ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>"
       "<Override PartName=\"/xl/styles.xml\" "
       "ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>";
  for (std::size_t i = 1; i <= sheets; ++i) {
    x += "<Override PartName=\"/xl/worksheets/sheet" + std::to_string(i) +
         ".xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>";
  }
  return x + "</Types>";
}

std::string root_rels_xml() {
  std::string x(kDecl);
  x += "<Relationships xmlns=\"" + std::string(kPkgRelNs) + "\"><Relationship Id=\"rId1\" Type=\"" +
       std::string(kRelNs) + "/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>";
  return x;
}

std::string workbook_xml(const std::vector<SheetInfo>& sheets) {
  std::string x(kDecl);
  x += "<workbook xmlns=\"" + std::string(kMainNs) + "\" xmlns:r=\"" + std::string(kRelNs) +
       "\"><bookViews><workbookView/></bookViews><sheets>";
  for (std::size_t i = 0; i < sheets.size(); ++i) {
    x += "<sheet name=\"";
    append_escaped(x, sheets[i].name);
    x += "\" sheetId=\"" + std::to_string(i + 1) + "\" r:id=\"rId" + std::to_string(i + 1) + "\"/>";
  }
  x += "</sheets>";
  std::string names;
  for (std::size_t i = 0; i < sheets.size(); ++i) {
    if (sheets[i].columns == 0) continue;
    std::string quoted;
    for (char c : sheets[i].name) quoted += c == '\'' ? std::string("''") : std::string(1, c);
    std::string last = "$" + column_name(sheets[i].columns - 1) + "$" + std::to_string(sheets[i].rows + 1);
    names += "<definedName name=\"_xlnm._FilterDatabase\" localSheetId=\"" + std::to_string(i) +
             "\" hidden=\"1\">";
    append_escaped(names, "'" + quoted + "'!$A$1:" + last);
    names += "</definedName>";
  }
  if (!names.empty()) x += "<definedNames>" + names + "</definedNames>";
  return x + "</workbook>";
}

std::string workbook_rels_xml(std::size_t sheets) {
  std::string x(kDecl);
  x += "<Relationships xmlns=\"" + std::string(kPkgRelNs) + "\">";
  for (std::size_t i = 1; i <= sheets; ++i) {
    x += "<Relationship Id=\"rId" + std::to_string(i) + "\" Type=\"" + std::string(kRelNs) +
         "/worksheet\" Target=\"worksheets/sheet" + std::to_string(i) + ".xml\"/>";
  }
  x += "<Relationship Id=\"rId" + std::to_string(sheets + 1) + "\" Type=\"" + std::string(kRelNs) +
       "/styles\" Target=\"styles.xml\"/>";
  return x + "</Relationships>";
}

std::string styles_xml() {
  std::string x(kDecl);
  x += "<styleSheet xmlns=\"" + std::string(kMainNs) + "\">";
  x += "<numFmts count=\"2\"><numFmt numFmtId=\"164\" formatCode=\"yyyy-mm-dd\"/>"
       "<numFmt numFmtId=\"165\" formatCode=\"yyyy-mm-dd hh:mm:ss\"/></numFmts>"
       "<fonts count=\"2\"><font><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font>"
       "<font><b/><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font></fonts>"
       "<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill>"
       "<fill><patternFill patternType=\"gray125\"/></fill></fills>"
       "<borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>"
       "<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>"
       "<cellXfs count=\"4\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>"
       "<xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/>"
       "<xf numFmtId=\"164\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/>"
       "<xf numFmtId=\"165\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/>"
       "</cellXfs><cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>"
       "<dxfs count=\"0\"/><tableStyles count=\"0\"/></styleSheet>";
  return x;
}

std::string sheet_head_xml(const SheetInfo& sheet, bool selected) {
  std::string x(kDecl);
  x += "<worksheet xmlns=\"" + std::string(kMainNs) + "\" xmlns:r=\"" + std::string(kRelNs) + "\">";
  x += "<dimension ref=\"" + range_of(sheet) + "\"/>";
  x += std::string("<sheetViews><sheetView") + (selected ? " tabSelected=\"1\"" : "") +
       " workbookViewId=\"0\"><pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" "
       "state=\"frozen\"/><selection pane=\"bottomLeft\"/></sheetView></sheetViews>"
       "<sheetFormatPr defaultRowHeight=\"15\"/>";
  if (!sheet.widths.empty()) {
    x += "<cols>";
    for (std::size_t c = 0; c < sheet.widths.size(); ++c) {
      std::string n = std::to_string(c + 1);
      x += "<col min=\"" + n + "\" max=\"" + n + "\" width=\"" + num(stored_width(sheet.widths[c])) +
           "\" customWidth=\"1\"/>";
    }
    x += "</cols>";
  }
  return x + "<sheetData>";
}

std::string sheet_tail_xml(const SheetInfo& sheet) {
  std::string x = "</sheetData>";
  if (sheet.columns > 0) x += "<autoFilter ref=\"" + range_of(sheet) + "\"/>";
  return x + "<pageMargins left=\"0.7\" right=\"0.7\" top=\"0.75\" bottom=\"0.75\" header=\"0.3\" "
             "footer=\"0.3\"/></worksheet>";
}

}  // namespace reportd::render::xlsx
