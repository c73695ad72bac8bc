// render_bodies(): the report e-mail's HTML body and its text/plain
// alternative (html_summary.hpp says what mail clients it is built for).
#include <date/tz.h>

#include "jobs/render/cell_text.hpp"
#include "jobs/render/html_summary.hpp"

namespace reportd::render {
namespace {

// Appends pieces in order. (Chains of std::string operator+ trip GCC 12's
// -Wrestrict false positive at -O3.)
template <class... Parts>
void add(std::string& out, const Parts&... parts) {
  (out.append(std::string_view(parts)), ...);
}

constexpr std::string_view kFont = "font-family:Arial,Helvetica,sans-serif;";
constexpr std::string_view kMuted = "color:#52606d;";
constexpr std::string_view kTruncatedNote =
    "The source cut this table short (Salesforce returned only part of the data).";

std::string plural_rows(std::uint64_t n) {
  return std::to_string(n) + (n == 1 ? " row" : " rows");
}

// One line of the text part: no line breaks inside a cell.
std::string one_line(std::string_view s) {
  std::string v = sanitize_utf8(s);
  for (char& c : v) {
    if (c == '\r' || c == '\n' || c == '\0') c = ' ';
  }
  return v;
}

// Escaped, with line breaks kept as <br>.
std::string html_lines(std::string_view s) {
  std::string out;
  for (char c : html_escape(s)) {
    if (c == '\r') continue;
    if (c == '\n') {
      out += "<br>";
    } else {
      out += c;
    }
  }
  return out;
}

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
    std::string_view para = std::string_view(text).substr(
        start, end == std::string::npos ? std::string::npos : end - start);
    std::string escaped = html_escape(para);
    std::string with_breaks;
    for (char c : escaped) {
      if (c == '\n') {
        with_breaks += "<br>\n";
      } else {
        with_breaks += c;
      }
    }
    if (!para.empty()) add(h, "<p style=\"margin:0 0 12px 0;\">", with_breaks, "</p>\n");
    if (end == std::string::npos) break;
    start = end + 2;
  }
}

void add_list(std::string& h, std::string& t, std::string_view title,
              const std::vector<std::string>& items) {
  if (items.empty()) return;
  add(h, "<p style=\"margin:16px 0 4px 0;font-weight:bold;\">", html_escape(title),
      ":</p>\n<ul style=\"margin:0 0 12px 0;padding-left:20px;\">\n");
  add(t, "\n", title, ":\n");
  for (const auto& i : items) {
    add(h, "<li style=\"margin:0 0 2px 0;\">", html_escape(i), "</li>\n");
    add(t, "- ", one_line(i), "\n");
  }
  h += "</ul>\n";
}

void add_links(std::string& h, std::string& t, const std::vector<SummaryInput::Link>& links) {
  bool any = false;
  for (const auto& l : links) {
    if (l.url.rfind("https://", 0) != 0) continue;
    if (!any) t += "\n";
    any = true;
    add(h, "<p style=\"margin:0 0 8px 0;\"><a href=\"", html_escape(l.url),
        "\" style=\"color:#0b5cad;text-decoration:underline;\">", html_escape(l.label), "</a></p>\n");
    add(t, one_line(l.label), ": ", one_line(l.url), "\n");
  }
}

void add_table(std::string& h, std::string& t, const TableSummary& tab, bool attached) {
  std::string caption = tab.name + ": first " + std::to_string(tab.first_rows.size()) + " of " +
                        plural_rows(tab.rows);
  add(h, "<p style=\"margin:20px 0 6px 0;font-weight:bold;\">", html_escape(caption), "</p>\n");
  add(t, "\n", one_line(caption), "\n");
  h += "<div style=\"overflow-x:auto;max-width:100%;\">\n";
  add(h, "<table cellspacing=\"0\" cellpadding=\"0\" border=\"0\" style=\"border-collapse:collapse;"
         "width:100%;font-size:12px;line-height:16px;", kFont, "\">\n<tr>");
  auto align = [&](std::size_t i) {
    return i < tab.numeric.size() && tab.numeric[i] ? "text-align:right;white-space:nowrap;"
                                                    : "text-align:left;";
  };
  for (std::size_t i = 0; i < tab.labels.size(); ++i) {
    add(h, "<th style=\"", align(i), "padding:6px 8px;background-color:#eef1f4;"
        "border-bottom:1px solid #c5ccd3;font-weight:bold;\">", html_escape(tab.labels[i]), "</th>");
    add(t, (i ? " | " : ""), one_line(tab.labels[i]));
  }
  h += "</tr>\n";
  t += "\n";
  for (std::size_t r = 0; r < tab.first_rows.size(); ++r) {
    const auto& row = tab.first_rows[r];
    add(h, "<tr style=\"background-color:", (r % 2 == 1 ? "#f8f9fb" : "#ffffff"), ";\">");
    for (std::size_t i = 0; i < row.size(); ++i) {
      add(h, "<td style=\"", align(i), "padding:6px 8px;border-bottom:1px solid #e4e7eb;"
          "vertical-align:top;overflow-wrap:break-word;\">", html_lines(row[i]), "</td>");
      add(t, (i ? " | " : ""), one_line(row[i]));
    }
    h += "</tr>\n";
    t += "\n";
  }
  h += "</table>\n</div>\n";
  if (tab.rows > tab.first_rows.size()) {
    std::string more = "Showing " + std::to_string(tab.first_rows.size()) + " of " +
                       plural_rows(tab.rows) + (attached ? "; every row is in the attachment." : ".");
    add(h, "<p style=\"margin:6px 0 0 0;font-size:12px;", kMuted, "\">", html_escape(more), "</p>\n");
    add(t, more, "\n");
  }
}

void open_page(std::string& h, std::string_view title) {
  add(h, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
         "<meta name=\"x-apple-disable-message-reformatting\"><title>", html_escape(title),
      "</title></head>\n<body style=\"margin:0;padding:0;background-color:#f3f4f6;\">\n"
      "<table role=\"presentation\" width=\"100%\" cellspacing=\"0\" cellpadding=\"0\" border=\"0\" "
      "style=\"background-color:#f3f4f6;\"><tr><td align=\"center\" style=\"padding:16px 8px;\">\n"
      "<table role=\"presentation\" width=\"100%\" cellspacing=\"0\" cellpadding=\"0\" border=\"0\" "
      "style=\"max-width:640px;width:100%;table-layout:fixed;background-color:#ffffff;"
      "border:1px solid #d9dde3;\">\n"
      "<tr><td style=\"padding:20px;", kFont, "font-size:14px;line-height:20px;color:#1f2933;\">\n");
}

}  // namespace

EmailBodies render_bodies(const SummaryInput& in, const HtmlSummary& summary) {
  EmailBodies b;
  std::string& h = b.html;
  std::string& t = b.text;
  std::string when = format_datetime_human(in.run_time_ms, in.tz);
  std::string zone = in.tz != nullptr ? std::string(in.tz->name()) : std::string("UTC");
  open_page(h, in.schedule_name);
  add(h, "<h1 style=\"margin:0 0 4px 0;font-size:20px;line-height:26px;", kFont, "\">",
      html_escape(in.schedule_name), "</h1>\n");
  add(t, sanitize_utf8(in.schedule_name), "\n\n");
  add_body(h, t, in.body);
  std::string run_line = "Run at " + when + " (" + zone + "). " + plural_rows(summary.total_rows()) + ".";
  add(h, "<p style=\"margin:0 0 16px 0;font-size:13px;", kMuted, "\">", html_escape(run_line),
      "</p>\n");
  add(t, sanitize_utf8(run_line), "\n");
  add_links(h, t, in.salesforce);

  std::vector<std::string> files;
  for (const auto& a : in.attachments) files.push_back(a.filename + " (" + human_bytes(a.bytes) + ")");
  add_list(h, t, "Attached", files);
  add_list(h, t, "Too large to attach; download from Salesforce Files", in.links);
  std::vector<std::string> notes = in.notes;
  for (const auto& tab : summary.tables()) {
    if (tab.truncated) notes.push_back(tab.name + ": " + std::string(kTruncatedNote));
  }
  add_list(h, t, "Notes", notes);
  for (const auto& tab : summary.tables()) {
    if (!tab.first_rows.empty()) add_table(h, t, tab, !in.attachments.empty() || !in.links.empty());
  }
  add(h, "<p style=\"margin:24px 0 0 0;font-size:12px;color:#7b8794;\">Sent by reportd.</p>\n"
         "</td></tr></table>\n</td></tr></table>\n</body></html>\n");
  t += "\n-- \nSent by reportd.\n";
  return b;
}

}  // namespace reportd::render
