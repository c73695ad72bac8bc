#include "jobs/render/html_summary.hpp"

#include <cstdio>

#include "jobs/render/cell_text.hpp"
#include "table/wipe.hpp"

namespace reportd::render {

HtmlSummary::~HtmlSummary() {
  for (auto& t : tables_)
    for (auto& r : t.first_rows)
      for (auto& cell : r) reportd::wipe(cell);
}

void EmailBodies::wipe() {
  reportd::wipe(html);
  reportd::wipe(text);
}

Status HtmlSummary::begin(const table::TableHeader& header) {
  TableSummary t;
  t.name = header.name;
  for (const auto& c : header.columns) {
    t.labels.push_back(c.label.empty() ? c.name : c.label);
    t.numeric.push_back(c.type == table::CellType::kNumber);
  }
  tables_.push_back(std::move(t));
  return {};
}

namespace {

// A preview cell longer than this is cut (at a character boundary) and
// marked, so the body stays small whatever a long text field holds.
constexpr std::size_t kMaxPreviewBytes = 1000;

void cut_for_preview(std::string& s) {
  if (s.size() <= kMaxPreviewBytes) return;
  std::size_t end = kMaxPreviewBytes;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  std::string cut = s.substr(0, end) + "\u2026";
  reportd::wipe_and_free(s);  // the long text held record values
  s = std::move(cut);
}

}  // namespace

Status HtmlSummary::row(std::span<const table::Cell> cells) {
  if (tables_.empty()) return Status::error(ErrorKind::kInternal, "html: row before begin");
  TableSummary& t = tables_.back();
  ++t.rows;
  if (t.first_rows.size() < preview_rows_) {
    std::vector<std::string> r;
    r.reserve(cells.size());
    for (const auto& c : cells) {
      std::string s;
      append_cell_text(s, c, tz_);
      cut_for_preview(s);
      r.push_back(std::move(s));
    }
    t.first_rows.push_back(std::move(r));
  }
  return {};
}

Status HtmlSummary::end(const table::TableFooter& footer) {
  if (tables_.empty()) return Status::error(ErrorKind::kInternal, "html: end before begin");
  // The source's count wins: it may have seen rows we were not sent.
  if (footer.rows > tables_.back().rows) tables_.back().rows = footer.rows;
  tables_.back().truncated = footer.truncated;
  return {};
}

std::uint64_t HtmlSummary::total_rows() const {
  std::uint64_t n = 0;
  for (const auto& t : tables_) n += t.rows;
  return n;
}

bool HtmlSummary::any_truncated() const {
  for (const auto& t : tables_) {
    if (t.truncated) return true;
  }
  return false;
}

std::string html_escape(std::string_view in) {
  std::string s = sanitize_utf8(in);
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      case '\0': out += "&#xFFFD;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string human_bytes(std::uint64_t bytes) {
  char buf[32];
  if (bytes < 1024) {
    std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(bytes));
  } else if (bytes < 1024 * 1024) {
    std::snprintf(buf, sizeof buf, "%.1f KB", static_cast<double>(bytes) / 1024.0);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  }
  return buf;
}

}  // namespace reportd::render
