#include "jobs/render/xlsx_renderer.hpp"

#include <xlsxwriter.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "jobs/render/cell_text.hpp"

namespace reportd::render {
namespace {

constexpr std::size_t kMaxCellChars = 32767;       // Excel's limit per cell
constexpr std::size_t kSheetNameMax = 31;          // Excel's limit per sheet name
constexpr std::string_view kCutMarker = " [cut by reportd: over Excel's 32,767 characters]";
constexpr double kMinColumnWidth = 8;

Status xlsx_error(std::string_view what, lxw_error err) {
  return Status::error(ErrorKind::kIo, "xlsx: " + std::string(what) + ": " + lxw_strerror(err),
                       "xlsx-" + std::to_string(static_cast<int>(err)));
}

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

}  // namespace

XlsxRenderer::XlsxRenderer(Scratch& scratch, XlsxOptions options)
    : scratch_(scratch), options_(std::move(options)), zone_(options_.tz) {}

XlsxRenderer::~XlsxRenderer() {
  // An unfinished workbook (the run failed) is freed without being written:
  // nobody reads it, and compressing it would take as long as a real one.
  // lxw_workbook_free() leaves the sheets' temp files open: close them.
  if (workbook_ == nullptr) return;
  lxw_worksheet* sheet = nullptr;
  LXW_FOREACH_WORKSHEET(sheet, workbook_) {
    if (sheet->optimize_tmpfile == nullptr) continue;
    if (sheet->file == sheet->optimize_tmpfile) sheet->file = nullptr;
    std::fclose(sheet->optimize_tmpfile);
    sheet->optimize_tmpfile = nullptr;
  }
  lxw_workbook_free(workbook_);
}

Status XlsxRenderer::open_workbook() {
  auto file = scratch_.create(options_.filename,
                              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  if (!file.ok()) return file.status();
  file_ = *file;
  std::string path = file_->path();
  std::string tmpdir = scratch_.tmpdir();
  lxw_workbook_options opts{};
  opts.constant_memory = LXW_TRUE;
  opts.tmpdir = tmpdir.data();
  opts.use_zip64 = LXW_TRUE;
  workbook_ = workbook_new_opt(path.c_str(), &opts);
  if (workbook_ == nullptr) {
    return Status::error(ErrorKind::kIo, "xlsx: cannot create workbook in scratch", "xlsx-open");
  }
  header_format_ = workbook_add_format(workbook_);
  format_set_bold(header_format_);
  date_format_ = workbook_add_format(workbook_);
  format_set_num_format(date_format_, "yyyy-mm-dd");
  datetime_format_ = workbook_add_format(workbook_);
  format_set_num_format(datetime_format_, "yyyy-mm-dd hh:mm:ss");
  return {};
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
    bool taken = std::any_of(sheet_names_.begin(), sheet_names_.end(),
                             [&](const std::string& s) { return lower(s) == lower(name); });
    if (!taken) {
      sheet_names_.push_back(name);
      return name;
    }
  }
}

Status XlsxRenderer::add_sheet(const std::string& name) {
  std::string sheet_name = unique_sheet_name(name);
  sheet_ = workbook_add_worksheet(workbook_, sheet_name.c_str());
  if (sheet_ == nullptr) return Status::error(ErrorKind::kIo, "xlsx: cannot add a sheet", "xlsx-sheet");
  sheet_rows_ = 0;
  widths_.assign(header_.columns.size(), kMinColumnWidth);
  for (std::size_t c = 0; c < header_.columns.size(); ++c) {
    const auto& col = header_.columns[c];
    std::string label = sanitize_utf8(col.label.empty() ? col.name : col.label);
    widths_[c] = std::max(widths_[c], static_cast<double>(utf8_chars(label)) + 2);
    lxw_error e = worksheet_write_string(sheet_, 0, static_cast<lxw_col_t>(c), label.c_str(),
                                         header_format_);
    if (e != LXW_NO_ERROR) return xlsx_error("header", e);
  }
  worksheet_freeze_panes(sheet_, 1, 0);
  return {};
}

Status XlsxRenderer::close_sheet() {
  if (sheet_ == nullptr) return {};
  auto ncols = static_cast<lxw_col_t>(header_.columns.size());
  for (lxw_col_t c = 0; c < ncols; ++c) {
    worksheet_set_column(sheet_, c, c, std::min(widths_[c], kMaxColumnWidth), nullptr);
  }
  if (ncols > 0) {
    lxw_error e = worksheet_autofilter(sheet_, 0, 0, sheet_rows_, static_cast<lxw_col_t>(ncols - 1));
    if (e != LXW_NO_ERROR) return xlsx_error("autofilter", e);
  }
  sheet_ = nullptr;
  return {};
}

Status XlsxRenderer::begin(const table::TableHeader& header) {
  if (header.columns.size() > LXW_COL_MAX) {
    return Status::error(ErrorKind::kPermanent,
                         "xlsx: table has " + std::to_string(header.columns.size()) +
                             " columns, over Excel's 16,384",
                         "xlsx-columns");
  }
  if (workbook_ == nullptr) {
    if (Status st = open_workbook(); !st.ok()) return st;
  }
  header_ = header;
  part_ = 1;
  return add_sheet(header.name);
}

Status XlsxRenderer::row(std::span<const table::Cell> cells) {
  if (sheet_ == nullptr) return Status::error(ErrorKind::kInternal, "xlsx: row before begin");
  if (sheet_rows_ >= options_.max_rows_per_sheet) {
    if (Status st = close_sheet(); !st.ok()) return st;
    ++part_;
    if (Status st = add_sheet(header_.name + " (" + std::to_string(part_) + ")"); !st.ok()) return st;
  }
  auto r = static_cast<lxw_row_t>(sheet_rows_ + 1);
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const auto& cell = cells[i];
    auto c = static_cast<lxw_col_t>(i);
    lxw_error e = LXW_NO_ERROR;
    double width = 0;
    switch (cell.type) {
      case table::CellType::kNull: break;
      case table::CellType::kNumber:
        if (std::isfinite(cell.number)) {
          e = worksheet_write_number(sheet_, r, c, cell.number, nullptr);
          width = static_cast<double>(cell.text.empty() ? 10 : cell.text.size());
          break;
        }
        [[fallthrough]];  // NaN/Inf are not Excel numbers: keep the text
      case table::CellType::kString: {
        text_.assign(cell.text);
        if (!is_valid_utf8(text_)) text_ = sanitize_utf8(text_);
        std::size_t chars = utf8_chars(text_);
        if (chars > kMaxCellChars) {
          text_.resize(utf8_prefix(text_, kMaxCellChars - kCutMarker.size()));
          text_ += kCutMarker;
          ++cut_cells_;
          chars = kMaxCellChars;
        }
        e = worksheet_write_string(sheet_, r, c, text_.c_str(), nullptr);
        width = static_cast<double>(chars);
        break;
      }
      case table::CellType::kBoolean:
        e = worksheet_write_boolean(sheet_, r, c, cell.boolean ? 1 : 0, nullptr);
        width = 5;
        break;
      case table::CellType::kDate:
        e = worksheet_write_number(sheet_, r, c, excel_serial_date(cell.days), date_format_);
        width = 10;
        break;
      case table::CellType::kDateTime:
        e = worksheet_write_number(sheet_, r, c, excel_serial_local(cell.millis, zone_),
                                   datetime_format_);
        width = 19;
        break;
    }
    if (e != LXW_NO_ERROR) return xlsx_error("write cell", e);
    if (i < widths_.size()) widths_[i] = std::max(widths_[i], width + 1);
    unchecked_bytes_ += static_cast<std::uint64_t>(width) + 24;  // value and <c r=".."> markup
  }
  ++sheet_rows_;
  if (unchecked_bytes_ < kCheckBytes) return {};
  unchecked_bytes_ = 0;
  return scratch_.account_tmpdir().with_context("xlsx");
}

Status XlsxRenderer::end(const table::TableFooter&) { return close_sheet(); }

Status XlsxRenderer::finish() {
  if (workbook_ == nullptr) {
    // No table arrived: still deliver a valid, visibly empty workbook.
    if (Status st = open_workbook(); !st.ok()) return st;
    header_ = {};
    if (Status st = add_sheet("Report"); !st.ok()) return st;
  }
  if (Status st = close_sheet(); !st.ok()) return st;
  if (Status st = scratch_.account_tmpdir(); !st.ok()) return std::move(st).with_context("xlsx");
  // Closing copies the sheet XML once more and writes the compressed
  // workbook, neither of which we can watch: room for both first.
  if (Status st = scratch_.reserve(2 * scratch_.tmpdir_bytes()); !st.ok()) {
    return std::move(st).with_context("xlsx: closing the workbook");
  }
  lxw_error e = workbook_close(workbook_);
  workbook_ = nullptr;
  scratch_.release_reserved();
  (void)scratch_.account_tmpdir();  // frees: the temp files are gone
  if (e != LXW_NO_ERROR) return xlsx_error("close workbook", e);
  return file_->account_external_writes();
}

}  // namespace reportd::render
