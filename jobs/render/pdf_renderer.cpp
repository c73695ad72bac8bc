#include "jobs/render/pdf_renderer.hpp"

#include <date/tz.h>

#include <algorithm>
#include <numeric>

#include "jobs/render/cell_text.hpp"
#include "jobs/render/pdf_document.hpp"
#include "table/wipe.hpp"

namespace reportd::render {
namespace {

constexpr double kBodySize = 8;
constexpr double kNarrowBodySize = 6.5;   // for tables with many columns
constexpr std::size_t kManyColumns = 12;
constexpr std::size_t kMeasureBytes = 300;  // a long text is measured by its start
constexpr double kMinWrapWidth = 64;        // cells may wrap down to this

std::string_view measured_part(std::string_view s) {
  if (s.size() <= kMeasureBytes) return s;
  std::size_t end = kMeasureBytes;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end);
}

// The widest word of `text` (split at spaces and newlines) in `style`.
double longest_word(PdfDocument& doc, std::string_view text, TextStyle style) {
  double widest = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find_first_of(" \n\t", start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) widest = std::max(widest, doc.text_width(text.substr(start, end - start), style));
    start = end + 1;
  }
  return widest;
}

// "Subtotal Prospecting · Sum of Amount: $1,200.00 · Record Count: 3".
std::string total_text(const table::Subtotal& t) {
  std::string s = t.kind == table::TotalKind::kGrand    ? "Grand total"
                  : t.kind == table::TotalKind::kColumn ? "Total"
                                                        : "Subtotal";
  for (std::size_t i = 0; i < t.groups.size(); ++i) {
    s += i == 0 ? " " : " / ";
    if (t.kind == table::TotalKind::kColumn) s.append(t.groups[i].column).append(": ");
    s += t.groups[i].value;
  }
  for (const table::Aggregate& a : t.aggregates) {
    s.append(" \u00b7 ").append(a.name).append(": ");
    s += a.shown.empty() ? a.value.text : a.shown;
  }
  std::string out = printable_text(s);
  reportd::wipe(s);
  return out;
}

}  // namespace

PdfRenderer::PdfRenderer(Scratch& scratch, PdfOptions options)
    : scratch_(scratch), options_(std::move(options)) {
  run_time_ = format_datetime_human(options_.run_time_ms, options_.tz);
  run_time_ += " (";
  run_time_ += options_.tz != nullptr ? std::string(options_.tz->name()) : std::string("UTC");
  run_time_ += ")";
}

PdfRenderer::~PdfRenderer() { wipe_rows(); }

void PdfRenderer::wipe_rows() {
  for (auto& line : held_)
    for (auto& s : line.texts) reportd::wipe(s);
  held_.clear();
  for (auto& s : texts_) reportd::wipe(s);
}

Status PdfRenderer::open_document() {
  auto file = scratch_.create(options_.filename, "application/pdf");
  if (!file.ok()) return file.status();
  file_ = *file;
  ScratchFile* f = file_;
  auto doc = PdfDocument::open([f](std::string_view bytes) { return f->append(bytes); },
                               options_.title);
  if (!doc.ok()) return doc.status();
  doc_ = std::move(doc).value();
  return {};
}

Status PdfRenderer::begin(const table::TableHeader& header) {
  if (!doc_) {
    if (Status st = open_document(); !st.ok()) return st;
  }
  if (page_open_) close_page();
  header_ = header;
  labels_.clear();
  right_.clear();
  skip_ = header.grouping_columns < header.columns.size() ? header.grouping_columns : 0;
  for (const auto& c : std::span(header.columns).subspan(skip_)) {
    labels_.push_back(printable_text(c.label.empty() ? c.name : c.label));
    right_.push_back(c.type == table::CellType::kNumber);
  }
  wipe_rows();
  laid_out_ = false;
  table_start_ = true;
  table_rows_ = 0;
  return doc_->status();
}

void PdfRenderer::cell_texts(std::span<const table::Cell> cells,
                             std::vector<std::string>& out) const {
  out.resize(cells.size());
  for (std::size_t i = 0; i < cells.size(); ++i) {
    std::string& s = out[i];
    reportd::wipe(s);
    const table::Cell& c = cells[i];
    switch (c.type) {
      case table::CellType::kString: s = printable_text(c.text); break;
      case table::CellType::kDateTime:
        s = format_datetime(c.millis, options_.tz);
        if (s.size() > 10) s[10] = ' ';
        s.resize(std::min<std::size_t>(s.size(), 19));  // wall time; the zone is in the title
        break;
      default: append_cell_text(s, c, options_.tz); break;
    }
  }
}

Status PdfRenderer::row(std::span<const table::Cell> cells) {
  if (!doc_) return Status::error(ErrorKind::kInternal, "pdf: row before begin");
  cell_texts(cells.subspan(std::min(skip_, cells.size())), texts_);
  if (!laid_out_) {
    held_.push_back({texts_});
    if (held_.size() < std::max<std::size_t>(options_.sample_rows, 1)) return {};
    fix_layout();
    return doc_->status();
  }
  return draw_row(texts_);
}

void PdfRenderer::fix_layout() {
  doc_->set_body_size(labels_.size() > kManyColumns ? kNarrowBodySize : kBodySize);
  const double pad = 2 * PdfDocument::kCellPadding;
  std::vector<ColumnMeasure> m(labels_.size());
  for (std::size_t i = 0; i < labels_.size(); ++i) {
    m[i].natural = doc_->text_width(labels_[i], TextStyle::kBold) + pad;
    m[i].minimum = longest_word(*doc_, labels_[i], TextStyle::kBold) + pad;
    double cells = 0;
    for (const auto& line : held_) {
      if (line.band) continue;
      cells = std::max(cells, doc_->text_width(measured_part(line.texts[i]), TextStyle::kBody) + pad);
    }
    m[i].natural = std::max(m[i].natural, cells);
    m[i].minimum = std::max(m[i].minimum, std::min(cells, kMinWrapWidth));
  }
  geometry_ = plan_table(m);
  doc_->set_columns(geometry_.widths, right_);
  laid_out_ = true;
  open_page();
  for (auto& line : held_) {
    if (!(line.band ? draw_band(line) : draw_row(line.texts)).ok()) break;
  }
  wipe_rows();
}

void PdfRenderer::open_page() {
  const PageSize size = geometry_.landscape ? kA4Landscape : kA4Portrait;
  const double x = kPageMargin;
  const double width = usable_width(geometry_.landscape);
  doc_->begin_page(size);
  page_open_ = true;
  ++pages_;
  y_ = kPageMargin;
  if (table_start_) {
    y_ += doc_->draw_text(x, y_, width, printable_text(options_.title), TextStyle::kTitle) + 2;
    y_ += doc_->draw_text(x, y_, width, "Run " + run_time_, TextStyle::kSmall) + 6;
    if (!header_.name.empty()) {
      y_ += doc_->draw_text(x, y_, width, printable_text(header_.name), TextStyle::kBold) + 4;
    }
    table_start_ = false;
  } else {
    std::string head = printable_text(options_.title);
    if (!header_.name.empty()) head += " \u2014 " + printable_text(header_.name);
    y_ += doc_->draw_text(x, y_, width, head + " (continued)", TextStyle::kSmall) + 4;
  }
  const double footer_y = size.height - kPageMargin + 10;
  doc_->draw_text(x, footer_y, width / 2, printable_text(options_.title), TextStyle::kSmall);
  doc_->draw_text(x + width / 2, footer_y, width / 2, "Page " + std::to_string(pages_),
                  TextStyle::kSmall, true);
  bottom_ = size.height - kPageMargin;
  draw_column_headers();
}

void PdfRenderer::draw_column_headers() {
  const double x = kPageMargin;
  const double w = std::accumulate(geometry_.widths.begin(), geometry_.widths.end(), 0.0);
  double h = doc_->layout_row(labels_, TextStyle::kBold);
  doc_->fill_rect(x, y_, w, h, 0.88);
  doc_->draw_row(x, y_);
  y_ += h;
  doc_->hline(x, x + w, y_, 0.5);
  doc_->clear_row();
}

void PdfRenderer::close_page() {
  doc_->end_page();
  page_open_ = false;
}

Status PdfRenderer::draw_row(std::vector<std::string>& texts) {
  const double x = kPageMargin;
  const double w = std::accumulate(geometry_.widths.begin(), geometry_.widths.end(), 0.0);
  double h = doc_->layout_row(texts, TextStyle::kBody);
  if (y_ + h > bottom_) {
    close_page();
    if (Status st = doc_->status(); !st.ok()) return st;  // the page was written: caps
    open_page();
    h = doc_->layout_row(texts, TextStyle::kBody);
  }
  if (table_rows_ % 2 == 1) doc_->fill_rect(x, y_, w, h, 0.96);
  doc_->draw_row(x, y_);
  y_ += h;
  doc_->hline(x, x + w, y_, 0.85);
  doc_->clear_row();
  for (auto& s : texts) reportd::wipe(s);
  ++table_rows_;
  return {};
}

Status PdfRenderer::group(const table::GroupStart& start) {
  std::string text(start.group.column);
  text.append(": ").append(start.group.value);
  std::string shown = printable_text(text);
  reportd::wipe(text);
  return add_band(std::move(shown), start.level, false);
}

Status PdfRenderer::subtotal(const table::Subtotal& total) {
  return add_band(total_text(total), total.groups.size() > 0 ? total.groups.size() - 1 : 0, true);
}

Status PdfRenderer::add_band(std::string text, std::size_t level, bool total) {
  if (!doc_) return Status::error(ErrorKind::kInternal, "pdf: group or total before begin");
  Line line;
  line.texts.push_back(std::move(text));  // no initializer_list: it would copy the value
  line.band = true;
  line.total = total;
  line.level = level;
  if (!laid_out_) {
    held_.push_back(std::move(line));
    return {};
  }
  return draw_band(line);
}

// A band spans the table: a group's start on a light fill, indented by its
// level; totals in bold under a rule.
Status PdfRenderer::draw_band(Line& band) {
  const double x = kPageMargin;
  // As wide as the table, but wide enough for a label even under one narrow column.
  const double w = std::max(std::accumulate(geometry_.widths.begin(), geometry_.widths.end(), 0.0),
                            std::min(usable_width(geometry_.landscape), 320.0));
  const double pad = PdfDocument::kCellPadding;
  const double indent = 8 * static_cast<double>(std::min<std::size_t>(band.level, 6));
  const TextStyle style = TextStyle::kBold;
  double h = doc_->text_height(band.texts[0], w - indent - 2 * pad, style) + 2 * pad;
  if (y_ + h > bottom_) {
    close_page();
    if (Status st = doc_->status(); !st.ok()) return st;
    open_page();
  }
  if (band.total) {
    doc_->hline(x, x + w, y_, 0.3);
  } else {
    doc_->fill_rect(x, y_, w, h, 0.91);
  }
  doc_->draw_text(x + indent + pad, y_ + pad, w - indent - 2 * pad, band.texts[0], style);
  y_ += h;
  reportd::wipe(band.texts[0]);
  return {};
}

Status PdfRenderer::end(const table::TableFooter& footer) {
  if (!doc_) return Status::error(ErrorKind::kInternal, "pdf: end before begin");
  if (!laid_out_) fix_layout();
  if (Status st = doc_->status(); !st.ok()) return st;
  std::uint64_t rows = std::max(footer.rows, table_rows_);
  std::string note = std::to_string(rows) + (rows == 1 ? " row" : " rows");
  if (footer.truncated) note += ". Salesforce returned only part of the data.";
  const double width = usable_width(geometry_.landscape);
  if (y_ + 16 > bottom_) {
    close_page();
    table_start_ = false;
    open_page();
  }
  y_ += 4;
  y_ += doc_->draw_text(kPageMargin, y_, width, note, TextStyle::kSmall);
  return doc_->status();
}

Status PdfRenderer::finish() {
  if (!doc_) {
    if (Status st = open_document(); !st.ok()) return st;
    table_start_ = true;
    fix_layout();
    doc_->draw_text(kPageMargin, y_ + 6, usable_width(false), "No data.", TextStyle::kBody);
  }
  if (page_open_) close_page();
  Status st = doc_->finish();
  doc_.reset();
  return st;
}

}  // namespace reportd::render
