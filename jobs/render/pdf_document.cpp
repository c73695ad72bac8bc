#include "jobs/render/pdf_document.hpp"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include "jobs/render/cell_text.hpp"
#include "table/wipe.hpp"

// fontconfig keeps a few hundred bytes of its configuration for the life of
// the process, which LeakSanitizer (the dev preset) reports at exit; they are
// not ours to free.
extern "C" const char* __lsan_default_suppressions();
extern "C" const char* __lsan_default_suppressions() { return "leak:libfontconfig.so\n"; }

#if defined(__SANITIZE_THREAD__)
// Pango initialises fontconfig on a GLib thread of its own (a test that
// starts no thread sees a "T1") and hands the result over under GLib's locks.
// GLib, fontconfig and Pango are prebuilt without TSan, which sees their
// memory accesses but not that synchronisation; the reports name only their
// frames. Not checked: that fontconfig (2.14 here) needs no lock of ours
// when the event loop and the CPU thread both call it; this hides that too.
extern "C" const char* __tsan_default_suppressions();
extern "C" const char* __tsan_default_suppressions() {
  return "race:libfontconfig.so\nrace:libpangoft2-1.0.so\nrace:libglib-2.0.so\n";
}
#endif

namespace reportd::render {
namespace {

constexpr const char* kFamily = "DejaVu Sans";
constexpr double kTitleSize = 14;
constexpr double kSmallSize = 7;

double points(int pango_units) { return static_cast<double>(pango_units) / PANGO_SCALE; }
int pango_units(double points) { return static_cast<int>(points * PANGO_SCALE); }

}  // namespace

struct PdfDocument::Impl {
  Sink sink;
  Status sink_error;
  cairo_surface_t* surface = nullptr;
  cairo_t* cr = nullptr;
  PangoFontMap* font_map = nullptr;
  PangoContext* context = nullptr;
  PangoLayout* free_layout = nullptr;  // titles, footers, measuring
  std::vector<PangoLayout*> columns;
  std::vector<double> widths;
  PangoFontDescription* body = nullptr;
  PangoFontDescription* bold = nullptr;
  PangoFontDescription* title = nullptr;
  PangoFontDescription* small = nullptr;
  bool finished = false;

  static cairo_status_t write(void* closure, const unsigned char* data, unsigned int length) {
    auto* self = static_cast<Impl*>(closure);
    if (!self->sink_error.ok()) return CAIRO_STATUS_WRITE_ERROR;
    Status st = self->sink(std::string_view(reinterpret_cast<const char*>(data), length));
    if (st.ok()) return CAIRO_STATUS_SUCCESS;
    self->sink_error = std::move(st);
    return CAIRO_STATUS_WRITE_ERROR;
  }

  const PangoFontDescription* font(TextStyle style) const {
    switch (style) {
      case TextStyle::kBold: return bold;
      case TextStyle::kTitle: return title;
      case TextStyle::kSmall: return small;
      case TextStyle::kBody: break;
    }
    return body;
  }

  // The free layout holding `text` in `style`, wrapped to `width` (0: one line).
  PangoLayout* wrapped(std::string_view text, double width, TextStyle style, bool right) const {
    PangoLayout* l = free_layout;
    pango_layout_set_font_description(l, font(style));
    pango_layout_set_width(l, width > 0 ? pango_units(width) : -1);
    pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_height(l, -1);
    pango_layout_set_alignment(l, right ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT);
    pango_layout_set_text(l, text.data(), static_cast<int>(text.size()));
    return l;
  }

  void drop_columns() {
    for (PangoLayout* l : columns) {
      pango_layout_set_text(l, "", 0);
      g_object_unref(l);
    }
    columns.clear();
  }

  ~Impl() {
    drop_columns();
    if (free_layout != nullptr) g_object_unref(free_layout);
    if (context != nullptr) g_object_unref(context);
    if (font_map != nullptr) g_object_unref(font_map);
    for (PangoFontDescription* f : {body, bold, title, small}) {
      if (f != nullptr) pango_font_description_free(f);
    }
    if (cr != nullptr) cairo_destroy(cr);
    if (surface != nullptr) cairo_surface_destroy(surface);
  }
};

PdfDocument::PdfDocument(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PdfDocument::~PdfDocument() = default;

Result<std::unique_ptr<PdfDocument>> PdfDocument::open(Sink sink, std::string_view title) {
  auto impl = std::make_unique<Impl>();
  impl->sink = std::move(sink);
  Impl* raw = impl.get();
  impl->surface = cairo_pdf_surface_create_for_stream(&Impl::write, raw, kA4Portrait.width,
                                                      kA4Portrait.height);
  if (cairo_surface_status(impl->surface) != CAIRO_STATUS_SUCCESS) {
    return Status::error(ErrorKind::kInternal, "pdf: cannot create a Cairo PDF surface");
  }
  std::string t = printable_text(title);
  cairo_pdf_surface_set_metadata(impl->surface, CAIRO_PDF_METADATA_TITLE, t.c_str());
  cairo_pdf_surface_set_metadata(impl->surface, CAIRO_PDF_METADATA_CREATOR, "reportd");
  impl->cr = cairo_create(impl->surface);
  impl->font_map = pango_cairo_font_map_new();
  impl->context = pango_font_map_create_context(impl->font_map);
  pango_cairo_context_set_resolution(impl->context, 72);  // one point per unit
  cairo_font_options_t* fo = cairo_font_options_create();
  cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
  pango_cairo_context_set_font_options(impl->context, fo);
  cairo_font_options_destroy(fo);
  impl->free_layout = pango_layout_new(impl->context);
  impl->title = pango_font_description_from_string(kFamily);
  pango_font_description_set_weight(impl->title, PANGO_WEIGHT_BOLD);
  pango_font_description_set_size(impl->title, pango_units(kTitleSize));
  impl->small = pango_font_description_from_string(kFamily);
  pango_font_description_set_size(impl->small, pango_units(kSmallSize));
  std::unique_ptr<PdfDocument> doc(new PdfDocument(std::move(impl)));
  doc->set_body_size(8);
  return doc;
}

void PdfDocument::set_body_size(double size) {
  Impl& m = *impl_;
  for (PangoFontDescription** f : {&m.body, &m.bold}) {
    if (*f != nullptr) pango_font_description_free(*f);
    *f = pango_font_description_from_string(kFamily);
    pango_font_description_set_size(*f, pango_units(size));
  }
  pango_font_description_set_weight(m.bold, PANGO_WEIGHT_BOLD);
}

double PdfDocument::text_width(std::string_view text, TextStyle style) {
  PangoLayout* l = impl_->free_layout;
  pango_layout_set_font_description(l, impl_->font(style));
  pango_layout_set_width(l, -1);
  pango_layout_set_height(l, -1);
  pango_layout_set_text(l, text.data(), static_cast<int>(text.size()));
  int w = 0;
  int h = 0;
  pango_layout_get_size(l, &w, &h);
  pango_layout_set_text(l, "", 0);
  return points(w);
}

double PdfDocument::text_height(std::string_view text, double width, TextStyle style) {
  PangoLayout* l = impl_->wrapped(text, width, style, false);
  int w = 0;
  int h = 0;
  pango_layout_get_size(l, &w, &h);
  pango_layout_set_text(l, "", 0);
  return points(h);
}

void PdfDocument::begin_page(PageSize size) {
  cairo_pdf_surface_set_size(impl_->surface, size.width, size.height);
}

void PdfDocument::end_page() { cairo_show_page(impl_->cr); }

double PdfDocument::draw_text(double x, double y, double width, std::string_view text,
                              TextStyle style, bool right) {
  PangoLayout* l = impl_->wrapped(text, width, style, right);
  cairo_set_source_rgb(impl_->cr, 0, 0, 0);
  if (style == TextStyle::kSmall) cairo_set_source_rgb(impl_->cr, 0.35, 0.35, 0.35);
  cairo_move_to(impl_->cr, x, y);
  pango_cairo_show_layout(impl_->cr, l);
  int w = 0;
  int h = 0;
  pango_layout_get_size(l, &w, &h);
  pango_layout_set_text(l, "", 0);
  return points(h);
}

void PdfDocument::fill_rect(double x, double y, double w, double h, double gray) {
  cairo_set_source_rgb(impl_->cr, gray, gray, gray);
  cairo_rectangle(impl_->cr, x, y, w, h);
  cairo_fill(impl_->cr);
}

void PdfDocument::hline(double x0, double x1, double y, double gray) {
  cairo_set_source_rgb(impl_->cr, gray, gray, gray);
  cairo_set_line_width(impl_->cr, 0.5);
  cairo_move_to(impl_->cr, x0, y);
  cairo_line_to(impl_->cr, x1, y);
  cairo_stroke(impl_->cr);
}

void PdfDocument::set_columns(const std::vector<double>& widths, const std::vector<bool>& right) {
  Impl& m = *impl_;
  m.drop_columns();
  m.widths = widths;
  for (std::size_t i = 0; i < widths.size(); ++i) {
    PangoLayout* l = pango_layout_new(m.context);
    pango_layout_set_width(l, pango_units(std::max(widths[i] - 2 * kCellPadding, 1.0)));
    pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
    pango_layout_set_height(l, -kMaxCellLines);
    pango_layout_set_alignment(l, i < right.size() && right[i] ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT);
    m.columns.push_back(l);
  }
}

double PdfDocument::layout_row(std::span<const std::string> texts, TextStyle style) {
  double tallest = 0;
  for (std::size_t i = 0; i < impl_->columns.size(); ++i) {
    PangoLayout* l = impl_->columns[i];
    pango_layout_set_font_description(l, impl_->font(style));
    const std::string& t = i < texts.size() ? texts[i] : std::string();
    pango_layout_set_text(l, t.data(), static_cast<int>(t.size()));
    int w = 0;
    int h = 0;
    pango_layout_get_size(l, &w, &h);
    tallest = std::max(tallest, points(h));
  }
  return tallest + 2 * kCellPadding;
}

void PdfDocument::draw_row(double x, double y) {
  cairo_set_source_rgb(impl_->cr, 0, 0, 0);
  for (std::size_t i = 0; i < impl_->columns.size(); ++i) {
    cairo_move_to(impl_->cr, x + kCellPadding, y + kCellPadding);
    pango_cairo_show_layout(impl_->cr, impl_->columns[i]);
    x += impl_->widths[i];
  }
}

void PdfDocument::clear_row() {
  for (PangoLayout* l : impl_->columns) pango_layout_set_text(l, "", 0);
}

Status PdfDocument::status() const {
  if (!impl_->sink_error.ok()) return impl_->sink_error;
  cairo_status_t st = cairo_surface_status(impl_->surface);
  if (st == CAIRO_STATUS_SUCCESS && impl_->cr != nullptr) st = cairo_status(impl_->cr);
  if (st == CAIRO_STATUS_SUCCESS) return {};
  return Status::error(ErrorKind::kInternal,
                       std::string("pdf: Cairo failed: ") + cairo_status_to_string(st));
}

Status PdfDocument::finish() {
  if (impl_->finished) return status();
  impl_->finished = true;
  impl_->drop_columns();
  cairo_destroy(impl_->cr);
  impl_->cr = nullptr;
  cairo_surface_finish(impl_->surface);
  if (!impl_->sink_error.ok()) return impl_->sink_error;
  cairo_status_t st = cairo_surface_status(impl_->surface);
  if (st == CAIRO_STATUS_SUCCESS) return {};
  return Status::error(ErrorKind::kInternal,
                       std::string("pdf: Cairo failed: ") + cairo_status_to_string(st));
}

std::string printable_text(std::string_view in) {
  std::string s = sanitize_utf8(in);
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto u = static_cast<unsigned char>(s[i]);
    if (s[i] == '\r') {
      if (i + 1 < s.size() && s[i + 1] == '\n') continue;  // CR LF: one newline
      out += '\n';
    } else if ((u < 0x20 && s[i] != '\n' && s[i] != '\t') || u == 0x7F) {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  reportd::wipe(s);
  return out;
}

}  // namespace reportd::render
