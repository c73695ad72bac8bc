#pragma once
// PdfDocument: the Cairo + Pango drawing under PdfRenderer. A PDF surface
// whose bytes go to a caller's sink as Cairo produces them (each page's
// content when the page ends, fonts and the trailer in finish()), text laid
// out by Pango (any script, right-to-left included, fonts found through
// fontconfig and embedded as subsets), one Pango layout per table column.
// Owns its own font map, so runs on different threads share nothing.
// Blocking; one thread at a time.

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "jobs/render/pdf_layout.hpp"
#include "table/status.hpp"

namespace reportd::render {

enum class TextStyle { kBody, kBold, kTitle, kSmall };

class PdfDocument {
 public:
  // Receives the PDF's bytes in order; false stops the document (Cairo then
  // reports a write error, and status() returns the sink's reason).
  using Sink = std::function<Status(std::string_view bytes)>;
  // The longest a cell's text may wrap to; more is cut with an ellipsis.
  static constexpr int kMaxCellLines = 12;
  static constexpr double kCellPadding = 3;

  static Result<std::unique_ptr<PdfDocument>> open(Sink sink, std::string_view title);
  ~PdfDocument();
  PdfDocument(const PdfDocument&) = delete;
  PdfDocument& operator=(const PdfDocument&) = delete;

  // Body text size in points (header and cells); smaller for wide tables.
  void set_body_size(double points);
  // The width of `text` on one line, in points, without padding.
  double text_width(std::string_view text, TextStyle style);
  // The height of `text` wrapped to `width`, in points, as draw_text uses it.
  double text_height(std::string_view text, double width, TextStyle style);

  // Starts a page of `size`; every drawing call goes onto it.
  void begin_page(PageSize size);
  // Ends the page: Cairo writes its content to the sink now.
  void end_page();

  // Draws `text` with its top-left at (x, y), wrapped to `width` (0: one
  // line), right-aligned when `right`. Returns the height used.
  double draw_text(double x, double y, double width, std::string_view text, TextStyle style,
                   bool right = false);
  // A filled rectangle in `gray` (0 black .. 1 white); a line of `gray`.
  void fill_rect(double x, double y, double w, double h, double gray);
  void hline(double x0, double x1, double y, double gray);

  // The table's columns from here on: widths in points, right alignment.
  void set_columns(const std::vector<double>& widths, const std::vector<bool>& right);
  // Lays out one row's texts (one per column) in `style`; returns its height.
  double layout_row(std::span<const std::string> texts, TextStyle style);
  // Draws the row last laid out with its top at y, starting at x.
  void draw_row(double x, double y);
  // Drops the texts the column layouts hold (record values).
  void clear_row();

  // Ok, or why the document cannot go on (the sink's error first).
  Status status() const;
  // Writes the fonts and the trailer. Call once, after the last page.
  Status finish();

 private:
  struct Impl;
  explicit PdfDocument(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Cell text a PDF can show: invalid UTF-8 replaced, control characters other
// than newline and tab replaced by spaces, CR LF as one newline.
std::string printable_text(std::string_view s);

}  // namespace reportd::render
