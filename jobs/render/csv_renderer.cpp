#include "jobs/render/csv_renderer.hpp"
#include "table/wipe.hpp"

#include <algorithm>

#include "jobs/render/cell_text.hpp"

namespace reportd::render {
namespace {

constexpr std::size_t kFlushBytes = 64 * 1024;

// Keeps file names to a safe, portable alphabet; the MIME layer encodes the rest.
std::string file_part(std::string_view name) {
  std::string out;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || c == '/' || c == '\\' || c == '"' || u == 0x7F) ? '_' : c;
  }
  return out.empty() ? "table" : out;
}

}  // namespace

bool needs_formula_guard(std::string_view text) {
  if (text.empty()) return false;
  switch (text.front()) {
    case '=': case '+': case '-': case '@': case '\t': case '\r': return true;
    default: return false;
  }
}

CsvRenderer::CsvRenderer(Scratch& scratch, CsvOptions options)
    : scratch_(scratch), options_(std::move(options)), zone_(options_.tz) {
  // Room for a flush's worth and a long row, so the buffer is not
  // reallocated (leaving unzeroed copies behind) in the common case.
  buf_.reserve(2 * kFlushBytes);
}

Status CsvRenderer::begin(const table::TableHeader& header) {
  ++tables_;
  std::string name = options_.base_name;
  if (tables_ > 1) {
    name += '-';
    name += file_part(header.name);
  }
  auto file = scratch_.create(name + ".csv", "text/csv; charset=utf-8");
  if (!file.ok()) return file.status();
  file_ = *file;
  buf_.clear();
  if (options_.bom) buf_ += "\xEF\xBB\xBF";
  for (std::size_t i = 0; i < header.columns.size(); ++i) {
    if (i > 0) buf_ += ',';
    const auto& c = header.columns[i];
    append_field(c.label.empty() ? c.name : c.label, options_.formula_guard);
  }
  buf_ += "\r\n";
  return {};
}

void CsvRenderer::append_field(std::string_view text, bool guard) {
  const bool guarded = guard && needs_formula_guard(text);
  bool quote = false;
  for (char c : text) {
    if (c == ',' || c == '"' || c == '\r' || c == '\n') {
      quote = true;
      break;
    }
  }
  if (!quote) {
    if (guarded) buf_ += '\'';
    buf_.append(text);
    return;
  }
  buf_ += '"';
  if (guarded) buf_ += '\'';
  for (std::size_t at = 0;;) {
    const std::size_t q = text.find('"', at);
    if (q == std::string_view::npos) {
      buf_.append(text.substr(at));
      break;
    }
    buf_.append(text.substr(at, q + 1 - at));  // up to and with the quote,
    buf_ += '"';                               // which is doubled
    at = q + 1;
  }
  buf_ += '"';
}

Status CsvRenderer::row(std::span<const table::Cell> cells) {
  if (file_ == nullptr) return Status::error(ErrorKind::kInternal, "csv: row before begin");
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) buf_ += ',';
    const auto& cell = cells[i];
    switch (cell.type) {
      case table::CellType::kNull:
        break;
      case table::CellType::kString:
        append_field(cell.text, options_.formula_guard);
        break;
      case table::CellType::kNumber:
        if (!cell.text.empty()) {
          append_field(cell.text, false);
          break;
        }
        [[fallthrough]];
      default:
        field_.clear();
        append_cell_text(field_, cell, zone_);
        append_field(field_, false);
    }
  }
  buf_ += "\r\n";
  ++rows_;
  if (buf_.size() >= kFlushBytes) return flush();
  return {};
}

Status CsvRenderer::end(const table::TableFooter&) {
  Status st = flush();
  file_ = nullptr;
  return st;
}

Status CsvRenderer::flush() {
  if (buf_.empty() || file_ == nullptr) return {};
  Status st = file_->append(buf_);
  // The buffer held record values: zero what it holds and keep the
  // capacity. Only appends wrote to it since the last flush, so nothing of
  // a record lies past size(): its content is all there is to wipe.
  wipe_bytes(buf_.data(), buf_.size());
  buf_.clear();
  return st;
}

}  // namespace reportd::render
