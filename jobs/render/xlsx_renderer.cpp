#include "jobs/render/xlsx_renderer.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include "jobs/render/cell_text.hpp"
#include "jobs/render/number_g16.hpp"
#include "jobs/render/xlsx_zip.hpp"
#include "table/wipe.hpp"

namespace reportd::render {
namespace {

constexpr std::size_t kMaxCellChars = 32767;  // Excel's limit per cell
constexpr std::size_t kCellMarkup = 96;       // a cell's tags, reference and style, at most
constexpr std::size_t kSheetNameMax = 31;     // Excel's limit per sheet name
constexpr std::string_view kCutMarker = " [cut by reportd: over Excel's 32,767 characters]";
constexpr double kMinColumnWidth = 8;
constexpr std::size_t kMaxColumns = 16384;  // Excel's limit per sheet
constexpr const char* kMime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

std::size_t utf8_chars(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// Byte offset of the first `chars` characters of valid UTF-8 `s`.
std::size_t utf8_prefix(std::string_view s, std::size_t chars) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (n == chars) return i;
      ++n;
    }
  }
  return s.size();
}

bool is_xml_space(char c) { return c == ' ' || c == '\t' || c == '\n'; }

}  // namespace

struct XlsxRenderer::Sheet {
  xlsx::SheetInfo info;
  std::unique_ptr<DeflateTemp> body;  // the rows, compressed; null once packed
};

XlsxRenderer::XlsxRenderer(Scratch& scratch, XlsxOptions options)
    : scratch_(scratch), options_(std::move(options)), zone_(options_.tz) {
  // Room for a block and a long row, so the XML buffer is seldom moved (a
  // move frees the old block unwiped).
  xml_.reserve(2 * kXmlBlock);
}

// An unfinished workbook (the run failed) is dropped unwritten: the temp
// files are wiped and freed with their sheets.
XlsxRenderer::~XlsxRenderer() {
  wipe(xml_);
  wipe(text_);
}

std::string XlsxRenderer::unique_sheet_name(std::string_view wanted) {
  std::string base;
  for (char c : sanitize_utf8(wanted)) {
    auto u = static_cast<unsigned char>(c);
    base += (std::string_view("[]:*?/\\").find(c) != std::string_view::npos || u < 0x20) ? '_' : c;
  }
  while (!base.empty() && base.front() == '\'') base.erase(0, 1);
  while (!base.empty() && base.back() == '\'') base.pop_back();
  if (base.empty()) base = "Report";
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  for (int n = 1;; ++n) {
    std::string suffix = n == 1 ? "" : " (" + std::to_string(n) + ")";
    std::size_t room = kSheetNameMax - suffix.size();
    std::string name = base.substr(0, utf8_prefix(base, room)) + suffix;
    bool taken = std::any_of(sheets_.begin(), sheets_.end(),
                             [&](const auto& s) { return lower(s->info.name) == lower(name); });
    if (!taken) return name;
  }
}

Status XlsxRenderer::add_sheet(const std::string& name) {
  auto body = DeflateTemp::open(scratch_.tmpdir());
  if (!body.ok()) return body.status();
  auto sheet = std::make_unique<Sheet>();
  sheet->info.name = unique_sheet_name(name);
  sheet->info.columns = header_.columns.size();
  sheet->info.widths.assign(header_.columns.size(), kMinColumnWidth);
  sheet->body = std::move(*body);
  sheet_ = sheet.get();
  sheets_.push_back(std::move(sheet));
  checked_bytes_ = 0;
  column_refs_.clear();
  for (std::size_t c = 0; c < header_.columns.size(); ++c)
    column_refs_.push_back(xlsx::column_name(c));
  row_ref_[0] = '1';
  row_ref_len_ = 1;
  next_column_ = 0;
  xml_ += "<row r=\"1\">";
  for (std::size_t c = 0; c < header_.columns.size(); ++c) {
    const auto& col = header_.columns[c];
    std::string label = sanitize_utf8(col.label.empty() ? col.name : col.label);
    sheet_->info.widths[c] =
        std::max(sheet_->info.widths[c], static_cast<double>(utf8_chars(label)) + 2);
    if (!label.empty()) append_string_cell(c, label, xlsx::kStyleBold);
  }
  xml_ += "</row>";
  return flush_xml();
}

Status XlsxRenderer::flush_xml() {
  if (Status st = sheet_->body->write(xml_); !st.ok()) return st;
  xml_.clear();
  if (sheet_->body->file_bytes() - checked_bytes_ < kCheckBytes) return {};
  checked_bytes_ = sheet_->body->file_bytes();
  return scratch_.account_tmpdir().with_context("xlsx");
}

Status XlsxRenderer::close_sheet() {
  if (sheet_ == nullptr) return {};
  Status st = flush_xml();
  if (st.ok()) st = sheet_->body->close();
  for (double& w : sheet_->info.widths) w = std::min(w, kMaxColumnWidth);
  sheet_ = nullptr;
  return st;
}

Status XlsxRenderer::begin(const table::TableHeader& header) {
  if (header.columns.size() > kMaxColumns) {
    return Status::error(ErrorKind::kPermanent,
                         "xlsx: table has " + std::to_string(header.columns.size()) +
                             " columns, over Excel's 16,384",
                         "xlsx-columns");
  }
  if (file_ == nullptr) {
    auto file = scratch_.create(options_.filename, kMime);
    if (!file.ok()) return file.status();
    file_ = *file;
  }
  header_ = header;
  part_ = 1;
  return add_sheet(header.name);
}

// A cell names its place only after a gap in its row: the reference is
// optional (ECMA-376 18.3.1.4; readers count on from the last cell), and
// these ever-changing references were a fifth of the sheet XML and most of
// what deflate could not shrink.
void XlsxRenderer::append_cell_ref(std::size_t column) {
  if (column == next_column_) {
    xml_ += "<c";
  } else {
    xml_ += "<c r=\"";
    xml_ += column_refs_[column];
    xml_.append(row_ref_, row_ref_len_);
    xml_ += '"';
  }
  next_column_ = column + 1;
}

void XlsxRenderer::append_string_cell(std::size_t column, std::string_view text, int style) {
  reserve_wiped(xml_, kCellMarkup + 6 * text.size());  // "&quot;" is the longest escape
  append_cell_ref(column);
  if (style != 0) {
    xml_ += " s=\"";
    xml_ += static_cast<char>('0' + style);
    xml_ += '"';
  }
  // Leading or trailing white space survives only when the text says so.
  const bool preserve = is_xml_space(text.front()) || is_xml_space(text.back());
  xml_ += preserve ? " t=\"inlineStr\"><is><t xml:space=\"preserve\">" : " t=\"inlineStr\"><is><t>";
  xlsx::append_escaped(xml_, text);
  xml_ += "</t></is></c>";
}

// As printf's "%.16G" (libxlsxwriter's format), without printf (number_g16.hpp).
void XlsxRenderer::append_number_cell(std::size_t column, double value, int style) {
  reserve_wiped(xml_, kCellMarkup + 40);
  append_cell_ref(column);
  if (style != 0) {
    xml_ += " s=\"";
    xml_ += static_cast<char>('0' + style);
    xml_ += '"';
  }
  char buf[kG16TextMax];
  char* end = write_g16(buf, value);
  xml_ += "><v>";
  xml_.append(buf, end);
  xml_ += "</v></c>";
}

Status XlsxRenderer::row(std::span<const table::Cell> cells) {
  if (sheet_ == nullptr) return Status::error(ErrorKind::kInternal, "xlsx: row before begin");
  if (sheet_->info.rows >= options_.max_rows_per_sheet) {
    if (Status st = close_sheet(); !st.ok()) return st;
    ++part_;
    if (Status st = add_sheet(header_.name + " (" + std::to_string(part_) + ")"); !st.ok())
      return st;
  }
  auto* widths = sheet_->info.widths.data();
  const std::size_t ncols = std::min(cells.size(), column_refs_.size());
  row_ref_len_ = static_cast<std::size_t>(
      std::to_chars(row_ref_, row_ref_ + sizeof row_ref_, sheet_->info.rows + 2).ptr - row_ref_);
  reserve_wiped(xml_, kCellMarkup);
  xml_ += "<row r=\"";
  xml_.append(row_ref_, row_ref_len_);
  xml_ += "\">";
  next_column_ = 0;
  for (std::size_t i = 0; i < ncols; ++i) {
    const auto& cell = cells[i];
    double width = 0;
    switch (cell.type) {
      case table::CellType::kNull:
        break;
      case table::CellType::kNumber:
        if (std::isfinite(cell.number)) {
          append_number_cell(i, cell.number, 0);
          width = static_cast<double>(cell.text.empty() ? 10 : cell.text.size());
          break;
        }
        [[fallthrough]];  // NaN/Inf are not Excel numbers: keep the text
      case table::CellType::kString: {
        if (cell.text.empty()) break;
        std::string_view text = cell.text;
        if (!is_valid_utf8(text)) {
          wipe(text_);
          text_ = sanitize_utf8(text);
          text = text_;
        }
        std::size_t chars = utf8_chars(text);
        if (chars > kMaxCellChars) {
          // `text` may be text_ itself: cut it before text_ is wiped.
          const std::size_t keep = utf8_prefix(text, kMaxCellChars - kCutMarker.size());
          std::string cut;
          cut.reserve(keep + kCutMarker.size());  // grown, it would free a copy unwiped
          cut.append(text.substr(0, keep));
          cut += kCutMarker;
          wipe(text_);
          text_ = std::move(cut);
          text = text_;
          ++cut_cells_;
          chars = kMaxCellChars;
        }
        append_string_cell(i, text, 0);
        width = static_cast<double>(chars);
        break;
      }
      case table::CellType::kBoolean:
        reserve_wiped(xml_, kCellMarkup);
        append_cell_ref(i);
        xml_ += cell.boolean ? " t=\"b\"><v>1</v></c>" : " t=\"b\"><v>0</v></c>";
        width = 5;
        break;
      case table::CellType::kDate:
        append_number_cell(i, excel_serial_date(cell.days), xlsx::kStyleDate);
        width = 10;
        break;
      case table::CellType::kDateTime:
        append_number_cell(i, excel_serial_local(cell.millis, zone_), xlsx::kStyleDateTime);
        width = 19;
        break;
    }
    widths[i] = std::max(widths[i], width + 1);
  }
  reserve_wiped(xml_, kCellMarkup);
  xml_ += "</row>";
  ++sheet_->info.rows;
  if (xml_.size() < kXmlBlock) return {};
  return flush_xml();
}

Status XlsxRenderer::end(const table::TableFooter&) { return close_sheet(); }

Status XlsxRenderer::write_package() {
  std::vector<xlsx::SheetInfo> infos;
  for (const auto& s : sheets_) infos.push_back(s->info);
  ZipWriter zip(*file_);
  Status st = zip.add_text("[Content_Types].xml", xlsx::content_types_xml(infos.size()));
  if (st.ok()) st = zip.add_text("_rels/.rels", xlsx::root_rels_xml());
  if (st.ok()) st = zip.add_text("xl/workbook.xml", xlsx::workbook_xml(infos));
  if (st.ok())
    st = zip.add_text("xl/_rels/workbook.xml.rels", xlsx::workbook_rels_xml(infos.size()));
  if (st.ok()) st = zip.add_text("xl/styles.xml", xlsx::styles_xml());
  for (std::size_t i = 0; i < sheets_.size() && st.ok(); ++i) {
    Sheet& sheet = *sheets_[i];
    std::string head, tail;
    auto h = deflate_piece(xlsx::sheet_head_xml(sheet.info, i == 0), false, head);
    if (!h.ok()) return h.status();
    auto t = deflate_piece(xlsx::sheet_tail_xml(sheet.info), true, tail);
    if (!t.ok()) return t.status();
    Deflated all = join(join(*h, sheet.body->sums()), *t);
    st = zip.add("xl/worksheets/sheet" + std::to_string(i + 1) + ".xml", all, [&](ScratchFile& f) {
      Status s = f.append(head);
      if (s.ok()) s = sheet.body->copy_to(f);
      if (s.ok()) s = f.append(tail);
      return s;
    });
    sheet.body.reset();  // its temp file is freed: give the room back at once
    if (st.ok()) st = scratch_.account_tmpdir();
  }
  if (st.ok()) st = zip.finish();
  return st;
}

Status XlsxRenderer::finish() {
  if (file_ == nullptr) {
    // No table arrived: still deliver a valid, visibly empty workbook.
    if (Status st = begin({"Report", {}}); !st.ok()) return st;
  }
  if (Status st = close_sheet(); !st.ok()) return st;
  if (Status st = scratch_.account_tmpdir(); !st.ok()) return std::move(st).with_context("xlsx");
  Status st = write_package();
  sheets_.clear();
  (void)scratch_.account_tmpdir();  // frees: the temp files are gone
  if (!st.ok()) return std::move(st).with_context("xlsx: closing the workbook");
  return {};
}

}  // namespace reportd::render
