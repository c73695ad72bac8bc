#pragma once
// HtmlSummary: a RowSink that keeps what the email body shows (per table: the
// name, column labels, row count, truncation flag and at most the first N
// rows as text), and render_bodies() which turns it into an HTML body and its
// text/plain alternative, everything escaped. One run's thread.

#include <cstdint>
#include <string>
#include <vector>

#include "table/table.hpp"

namespace date {
class time_zone;
}

namespace reportd::render {

struct TableSummary {
  std::string name;
  std::vector<std::string> labels;
  std::vector<bool> numeric;  // per column: numbers (right-aligned in the body)
  std::vector<std::vector<std::string>> first_rows;  // at most preview_rows
  std::uint64_t rows = 0;
  bool truncated = false;  // the source cut the data (Reports API 2,000-row limit)
};

class HtmlSummary final : public table::RowSink {
 public:
  // `preview_rows` = 0 keeps no row values at all.
  HtmlSummary(std::size_t preview_rows, const date::time_zone* tz)
      : preview_rows_(preview_rows), tz_(tz) {}
  ~HtmlSummary() override;  // zeroes the kept rows (record values)
  HtmlSummary(const HtmlSummary&) = delete;
  HtmlSummary& operator=(const HtmlSummary&) = delete;

  Status begin(const table::TableHeader& header) override;
  Status row(std::span<const table::Cell> cells) override;
  Status end(const table::TableFooter& footer) override;

  const std::vector<TableSummary>& tables() const { return tables_; }
  std::uint64_t total_rows() const;
  bool any_truncated() const;

 private:
  std::size_t preview_rows_;
  const date::time_zone* tz_;
  std::vector<TableSummary> tables_;
};

struct AttachmentInfo {
  std::string filename;
  std::uint64_t bytes = 0;
};

struct SummaryInput {
  std::string schedule_name;
  std::int64_t run_time_ms = 0;            // the occurrence, UTC
  const date::time_zone* tz = nullptr;      // the schedule's zone (null: UTC)
  std::vector<AttachmentInfo> attachments;
  std::vector<std::string> links;           // e.g. Salesforce Files links when too big to attach
  std::vector<std::string> notes;           // operator-facing notes (zipped, cut cells...)
  // The schedule's own text (Body__c, `--body`), shown above the summary,
  // escaped; blank lines separate paragraphs. Empty: none.
  std::string body;
  // Where the data lives in Salesforce (the report, the schedule record),
  // shown as links; https URLs only, others are left out.
  struct Link {
    std::string label;
    std::string url;
  };
  std::vector<Link> salesforce;
};

// Both bodies can show record values: wipe() them when done.
// The HTML body (mail_body.cpp) is built for mail clients (Gmail, Outlook,
// Apple Mail): a centred column at most 640 px wide that shrinks on a phone,
// inline styles only (no <style>, no external CSS, no scripts, no images),
// layout tables, the preview table scrolling sideways inside its box when it
// is wider than the screen. The text/plain part says the same things.
struct EmailBodies {
  std::string html;
  std::string text;
  void wipe();
};

EmailBodies render_bodies(const SummaryInput& input, const HtmlSummary& summary);

// HTML-escapes & < > " ' (and replaces invalid UTF-8). The one escape for
// every HTML reportd writes (mail bodies, the OAuth callback pages).
std::string html_escape(std::string_view s);
// "1.2 MB", "532 bytes".
std::string human_bytes(std::uint64_t bytes);

}  // namespace reportd::render
