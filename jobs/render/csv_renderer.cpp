#include "jobs/render/csv_renderer.hpp"
#include "table/wipe.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

bool is_special(char c) { return c == ',' || c == '"' || c == '\r' || c == '\n'; }

// True when `text` holds a comma, a quote, CR or LF: the field is quoted.
// Sixteen bytes at a time where SSE2 is there (every x86-64).
bool needs_quotes(std::string_view text) {
  const char* p = text.data();
  std::size_t n = text.size();
#if defined(__SSE2__)
  const __m128i comma = _mm_set1_epi8(','), quote = _mm_set1_epi8('"');
  const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');
  for (; n >= 16; p += 16, n -= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, quote)),
                                     _mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf)));
    if (_mm_movemask_epi8(hit) != 0) return true;
  }
#endif
  for (; n > 0; ++p, --n)
    if (is_special(*p)) return true;
  return false;
}

// The most bytes put_field writes for `text`: quotes, the guard's
// apostrophe, and every quote doubled.
std::size_t field_bound(std::string_view text) { return 2 * text.size() + 3; }

// Room for a date, datetime, boolean or number without wire text, as
// append_cell_text formats them (kDateTimeTextMax, to_chars' shortest double).
constexpr std::size_t kFormattedBound = 64;
static_assert(kFormattedBound >= kDateTimeTextMax);

char* put(char* out, std::string_view text) {
  std::memcpy(out, text.data(), text.size());
  return out + text.size();
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
  // Room for a flush's worth and a long row, so the block is not
  // reallocated (leaving unzeroed copies behind) in the common case.
  buf_.resize(2 * kFlushBytes);
}

CsvRenderer::~CsvRenderer() {
  wipe_bytes(buf_.data(), used_);
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
  wipe_bytes(buf_.data(), used_);
  used_ = 0;
  std::size_t bound = 5;
  for (const auto& c : header.columns) bound += field_bound(c.label.empty() ? c.name : c.label) + 1;
  auto at = room(bound);
  if (!at.ok()) return at.status();
  char* out = *at;
  if (options_.bom) out = put(out, "\xEF\xBB\xBF");
  for (std::size_t i = 0; i < header.columns.size(); ++i) {
    if (i > 0) *out++ = ',';
    const auto& c = header.columns[i];
    out = put_field(out, c.label.empty() ? c.name : c.label, options_.formula_guard);
  }
  out = put(out, "\r\n");
  used_ = static_cast<std::size_t>(out - buf_.data());
  return {};
}

Result<char*> CsvRenderer::room(std::size_t n) {
  if (buf_.size() - used_ < n) {
    if (Status st = flush(); !st.ok()) return st;
    if (buf_.size() < n) {  // a row larger than the block: nothing of a record is in it now
      std::string bigger(n + kFlushBytes, '\0');
      wipe(buf_);
      buf_.swap(bigger);
    }
  }
  return buf_.data() + used_;
}

char* CsvRenderer::put_field(char* out, std::string_view text, bool guard) const {
  const bool guarded = guard && needs_formula_guard(text);
  if (!needs_quotes(text)) {
    if (guarded) *out++ = '\'';
    return put(out, text);
  }
  *out++ = '"';
  if (guarded) *out++ = '\'';
  for (std::size_t at = 0;;) {
    const std::size_t q = text.find('"', at);
    if (q == std::string_view::npos) {
      out = put(out, text.substr(at));
      break;
    }
    out = put(out, text.substr(at, q + 1 - at));  // up to and with the quote,
    *out++ = '"';                                 // which is doubled
    at = q + 1;
  }
  *out++ = '"';
  return out;
}

Status CsvRenderer::row(std::span<const table::Cell> cells) {
  if (file_ == nullptr) return Status::error(ErrorKind::kInternal, "csv: row before begin");
  std::size_t bound = 2;
  for (const auto& cell : cells) {
    const bool wire = cell.type == table::CellType::kString ||
                      (cell.type == table::CellType::kNumber && !cell.text.empty());
    bound += 1 + (wire ? field_bound(cell.text) : kFormattedBound);
  }
  auto at = room(bound);
  if (!at.ok()) return at.status();
  char* out = *at;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) *out++ = ',';
    const auto& cell = cells[i];
    switch (cell.type) {
      case table::CellType::kNull:
        break;
      case table::CellType::kString:
        out = put_field(out, cell.text, options_.formula_guard);
        break;
      case table::CellType::kNumber:
        if (!cell.text.empty()) {
          out = put_field(out, cell.text, false);
        } else {
          out = std::to_chars(out, out + kFormattedBound, cell.number).ptr;
        }
        break;
      // As append_cell_text formats them, straight into the block: their
      // text has no comma, quote or line break, so it is never quoted.
      case table::CellType::kBoolean:
        out = put(out, cell.boolean ? std::string_view("true") : std::string_view("false"));
        break;
      case table::CellType::kDate:
        out += write_date(out, cell.days);
        break;
      case table::CellType::kDateTime:
        out += write_datetime(out, cell.millis, zone_);
        break;
    }
  }
  out = put(out, "\r\n");
  used_ = static_cast<std::size_t>(out - buf_.data());
  ++rows_;
  if (used_ >= kFlushBytes) return flush();
  return {};
}

Status CsvRenderer::end(const table::TableFooter&) {
  Status st = flush();
  file_ = nullptr;
  return st;
}

Status CsvRenderer::flush() {
  if (used_ == 0 || file_ == nullptr) return {};
  Status st = file_->append(std::string_view(buf_.data(), used_));
  // The block held record values: zero what was used of it, not its whole
  // size (nothing past used_ was written since the last flush).
  wipe_bytes(buf_.data(), used_);
  used_ = 0;
  return st;
}

}  // namespace reportd::render
