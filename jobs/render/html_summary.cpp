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
  for (const auto& c : header.columns) t.labels.push_back(c.label.empty() ? c.name : c.label);
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

namespace {

// Appends pieces in order. (Chains of std::string operator+ trip GCC 12's
// -Wrestrict false positive at -O3.)
template <class... Parts>
void add(std::string& out, const Parts&... parts) {
  (out.append(std::string_view(parts)), ...);
}

std::string plural_rows(std::uint64_t n) {
  return std::to_string(n) + (n == 1 ? " row" : " rows");
}

constexpr std::string_view kTruncatedNote =
    "The source cut this table short (Salesforce returned only part of the data).";

// The schedule's body text: paragraphs at blank lines, line breaks kept.
void add_body(std::string& h, std::string& t, std::string_view body) {
  std::string text = sanitize_utf8(body);
  std::erase(text, '\r');
  std::erase(text, '\0');
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (text.empty()) return;
  add(t, text, "\n\n");
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find("\n\n", start);
    std::string_view para = std::string_view(text).substr(start, end == std::string::npos ? std::string::npos : end - start);
    std::string escaped = html_escape(para);
    std::string with_breaks;
    for (char c : escaped) {
      if (c == '\n') {
        with_breaks += "<br>\n";
      } else {
        with_breaks += c;
      }
    }
    if (!para.empty()) add(h, "<p>", with_breaks, "</p>\n");
    if (end == std::string::npos) break;
    start = end + 2;
  }
}

}  // namespace

EmailBodies render_bodies(const SummaryInput& in, const HtmlSummary& summary) {
  EmailBodies b;
  std::string when = format_datetime_human(in.run_time_ms, in.tz);
  std::string& h = b.html;
  std::string& t = b.text;
  h += "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>";
  h += html_escape(in.schedule_name);
  h += "</title></head>\n<body style=\"font-family:sans-serif\">\n<h2>";
  h += html_escape(in.schedule_name);
  h += "</h2>\n";
  add(t, sanitize_utf8(in.schedule_name), "\n\n");
  add_body(h, t, in.body);
  add(h, "<p>Run at ", html_escape(when), ". ", plural_rows(summary.total_rows()), ".</p>\n");
  add(t, "Run at ", sanitize_utf8(when), ". ", plural_rows(summary.total_rows()), ".\n");

  auto list = [&](std::string_view title, const std::vector<std::string>& items) {
    if (items.empty()) return;
    add(h, "<p>", std::string(title), ":</p>\n<ul>\n");
    add(t, "\n", std::string(title), ":\n");
    for (const auto& i : items) {
      add(h, "<li>", html_escape(i), "</li>\n");
      add(t, "- ", sanitize_utf8(i), "\n");
    }
    h += "</ul>\n";
  };
  std::vector<std::string> files;
  for (const auto& a : in.attachments) files.push_back(a.filename + " (" + human_bytes(a.bytes) + ")");
  list("Attached", files);
  list("Too large to attach; download from Salesforce Files", in.links);
  std::vector<std::string> notes = in.notes;
  for (const auto& tab : summary.tables()) {
    if (tab.truncated) notes.push_back(tab.name + ": " + std::string(kTruncatedNote));
  }
  list("Notes", notes);

  for (const auto& tab : summary.tables()) {
    if (tab.first_rows.empty()) continue;
    std::string caption = tab.name + ": first " + std::to_string(tab.first_rows.size()) + " of " +
                          plural_rows(tab.rows);
    h += "<table border=\"1\" cellspacing=\"0\" cellpadding=\"4\" style=\"border-collapse:collapse\">\n";
    add(h, "<caption>", html_escape(caption), "</caption>\n<tr>");
    add(t, "\n", sanitize_utf8(caption), "\n");
    for (std::size_t i = 0; i < tab.labels.size(); ++i) {
      add(h, "<th>", html_escape(tab.labels[i]), "</th>");
      add(t, (i ? " | " : ""), sanitize_utf8(tab.labels[i]));
    }
    h += "</tr>\n";
    t += "\n";
    for (const auto& r : tab.first_rows) {
      h += "<tr>";
      for (std::size_t i = 0; i < r.size(); ++i) {
        add(h, "<td>", html_escape(r[i]), "</td>");
        std::string v = sanitize_utf8(r[i]);
        for (char& c : v) {
          if (c == '\r' || c == '\n' || c == '\0') c = ' ';
        }
        add(t, (i ? " | " : ""), v);
      }
      h += "</tr>\n";
      t += "\n";
    }
    h += "</table>\n";
  }
  h += "<p style=\"color:#666;font-size:small\">Sent by reportd.</p>\n</body></html>\n";
  t += "\n-- \nSent by reportd.\n";
  return b;
}

}  // namespace reportd::render
