// Report results hold at most 2,000 detail rows, so a DOM is fine here, one
// whose detail cells are packed (report_dom.hpp).
// Detail rows sit in the fact map under "<down>!<across>" keys; only the
// deepest grouping keys are read so that no row is emitted twice.
#include "salesforce_client/report_parser.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <optional>

#include "salesforce_client/cell_parse.hpp"
#include "salesforce_client/report_dom.hpp"
#include "salesforce_client/zeroing_resource.hpp"

namespace reportd::salesforce {
namespace json = boost::json;
using table::Cell;
using table::CellType;

namespace {

Status bad(std::string_view why) {
  return Status::error(ErrorKind::kPermanent, "salesforce: report result: " + std::string(why),
                       "bad-report");
}

const json::object* obj(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_object() ? &v->get_object() : nullptr;
}
const json::array* arr(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_array() ? &v->get_array() : nullptr;
}
std::string_view str_view(const json::object* o, std::string_view key) {
  if (!o) return {};
  auto* v = o->if_contains(key);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}
std::string str(const json::object* o, std::string_view key) { return std::string(str_view(o, key)); }

std::string number_text(double v) {
  char buf[64];
  if (std::fabs(v) < 1e15 && v == std::floor(v)) {
    auto r = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(v));
    return std::string(buf, r.ptr);
  }
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::optional<double> as_number(const json::value& v) {
  if (v.is_double()) return v.get_double();
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_object()) {  // currency {"amount":N,"currency":"USD"}
    if (auto* a = v.get_object().if_contains("amount")) return as_number(*a);
  }
  return std::nullopt;
}

// Texts that held record values, zeroed on every way out.
struct WipeTexts {
  std::vector<std::string>& texts;
  ~WipeTexts() {
    for (std::string& t : texts) wipe(t);
  }
};

// Puts `value` into a kept text slot; zeroes the old allocation first when
// the new value will not fit in it (assignment would free it as it is).
void set_text(std::string& slot, std::string_view value) {
  if (value.size() > slot.capacity()) wipe(slot);
  slot.assign(value);
}

const json::array* groupings_of(const json::object* o) { return o ? arr(*o, "groupings") : nullptr; }

// The report's columns: its groupings (down, then across; none for a
// tabular report), then its detail columns with their types.
struct ReportColumns {
  table::TableHeader header;
  std::size_t n_down = 0;
  std::size_t n_across = 0;
  std::vector<CellType> detail_types;
  std::vector<std::string> aggregate_names;  // labels of the fact map's aggregates, in order
};

ReportColumns columns_of(const json::object& root, const json::object& meta, const json::object* ext,
                         const std::string& format) {
  const json::object* detail_info = ext ? obj(*ext, "detailColumnInfo") : nullptr;
  const json::object* group_info = ext ? obj(*ext, "groupingColumnInfo") : nullptr;
  ReportColumns c;
  c.header.name = str(obj(root, "attributes"), "reportName");
  for (std::string_view which : {"groupingsDown", "groupingsAcross"}) {
    const json::array* groups = arr(meta, which);
    if (!groups || format == "TABULAR") continue;
    for (const auto& g : *groups) {
      std::string name = g.is_object() ? str(&g.get_object(), "name") : std::string();
      std::string label = group_info ? str(obj(*group_info, name), "label") : std::string();
      c.header.columns.push_back({name, label.empty() ? name : label, CellType::kString});
      (which == std::string_view("groupingsDown") ? c.n_down : c.n_across)++;
    }
  }
  if (const json::array* cols = arr(meta, "detailColumns")) {
    for (const auto& col : *cols) {
      std::string name = col.is_string() ? std::string(col.get_string()) : std::string();
      const json::object* info = detail_info ? obj(*detail_info, name) : nullptr;
      std::string label = str(info, "label");
      CellType t = type_from_salesforce(str(info, "dataType"));
      c.detail_types.push_back(t);
      c.header.columns.push_back({name, label.empty() ? name : label, t});
    }
  }
  c.header.grouping_columns = c.n_down + c.n_across;
  const json::object* agg_info = ext ? obj(*ext, "aggregateColumnInfo") : nullptr;
  if (const json::array* aggs = arr(meta, "aggregates")) {
    for (const auto& a : *aggs) {
      std::string name = a.is_string() ? std::string(a.get_string()) : std::string();
      std::string label = agg_info ? str(obj(*agg_info, name), "label") : std::string();
      c.aggregate_names.push_back(label.empty() ? name : label);
    }
  }
  return c;
}

// One detail cell of type `type`. Its text goes to `text` (the cell points
// into it); `label` receives the cell's label (its value as shown).
Cell detail_cell(const ReportCell& dc, CellType type, std::string& text, std::string& label) {
  using V = ReportCell::Value;
  set_text(label, dc.label);
  if (dc.value == V::kMissing || dc.value == V::kNull) return Cell::null();
  switch (type) {
    case CellType::kNumber:
      if (dc.value == V::kNumber) {
        set_text(text, number_text(dc.number));
        return Cell::num(dc.number, text);
      }
      return Cell::null();
    case CellType::kBoolean:
      return dc.value == V::kBool ? Cell::boolean_value(dc.boolean) : Cell::null();
    case CellType::kDate:
    case CellType::kDateTime:
      if (dc.value != V::kString) return Cell::null();
      set_text(text, dc.text);
      return sniff_string_cell(text);
    default:
      set_text(text, label.empty() && dc.value == V::kString ? dc.text : std::string_view(label));
      return Cell::string(text);
  }
}

// Walks the grouping trees in report order and tells the sink: a group's
// start, its rows (deepest groups only, so no row comes twice), its
// subtotal; a matrix's column totals; the grand total. Texts are views into
// the zeroed DOM or into `texts_`.
class ReportWalker {
 public:
  ReportWalker(const json::object& root, const json::object& meta, const ReportColumns& columns,
               table::RowSink& sink)
      : facts_(*obj(root, "factMap")), columns_(columns), sink_(sink),
        texts_(columns.header.columns.size() + 1), wipe_texts_{texts_},
        cells_(columns.header.columns.size()), agg_texts_(columns.aggregate_names.size()),
        wipe_aggs_{agg_texts_} {
    down_ = columns.n_down ? groupings_of(obj(root, "groupingsDown")) : nullptr;
    across_ = columns.n_across ? groupings_of(obj(root, "groupingsAcross")) : nullptr;
    auto flag = [&](std::string_view k) {
      auto* v = meta.if_contains(k);
      return !(v && v->is_bool() && !v->get_bool());
    };
    subtotals_ = flag("showSubtotals");
    grand_total_ = flag("showGrandTotal");
    labels_.resize(columns.n_down + columns.n_across);
  }

  Status run() {
    Status st = down_ ? walk_down(*down_, 0) : walk_across("T", across_, 0);
    if (st.ok() && across_ && subtotals_) st = column_totals(*across_, 0);
    if (st.ok() && grand_total_) st = total("T!T", table::TotalKind::kGrand);
    return st;
  }
  std::uint64_t rows() const { return rows_; }

 private:
  std::string_view column_label(std::size_t level) const {
    return columns_.header.columns[level].label;
  }

  // Enters a group at `level`: its label goes on its rows and into the path.
  Status enter(const json::object& node, std::size_t level) {
    labels_[level] = str_view(&node, "label");
    path_.push_back({column_label(level), labels_[level]});
    return sink_.group({level, path_.back()});
  }

  Status walk_down(const json::array& groups, std::size_t level) {
    for (const auto& g : groups) {
      if (!g.is_object()) continue;
      const json::object& node = g.get_object();
      const std::string key = str(&node, "key");
      Status st = enter(node, level);
      const json::array* sub = groupings_of(&node);
      if (st.ok() && sub && !sub->empty() && level + 1 < columns_.n_down)
        st = walk_down(*sub, level + 1);
      else if (st.ok())
        st = walk_across(key, across_, 0);
      if (st.ok() && subtotals_) st = total(key + "!T", table::TotalKind::kGroup);
      path_.pop_back();
      if (!st.ok()) return st;
    }
    return {};
  }

  Status walk_across(const std::string& down_key, const json::array* groups, std::size_t level) {
    if (!groups) return emit_rows(down_key + "!T");
    const std::size_t at = columns_.n_down + level;
    for (const auto& g : *groups) {
      if (!g.is_object()) continue;
      const json::object& node = g.get_object();
      const std::string key = down_key + "!" + str(&node, "key");
      if (!obj(facts_, key)) continue;  // no records in this cell
      Status st = enter(node, at);
      const json::array* sub = groupings_of(&node);
      if (st.ok() && sub && !sub->empty() && level + 1 < columns_.n_across)
        st = walk_across(down_key, sub, level + 1);
      else if (st.ok())
        st = emit_rows(key);
      if (st.ok() && subtotals_) st = total(key, table::TotalKind::kGroup);
      path_.pop_back();
      if (!st.ok()) return st;
    }
    return {};
  }

  // The totals of each across group over all down groups ("T!<across>").
  Status column_totals(const json::array& groups, std::size_t level) {
    for (const auto& g : groups) {
      if (!g.is_object()) continue;
      const json::object& node = g.get_object();
      path_.push_back({column_label(columns_.n_down + level), str_view(&node, "label")});
      Status st = total("T!" + str(&node, "key"), table::TotalKind::kColumn);
      const json::array* sub = groupings_of(&node);
      if (st.ok() && sub && !sub->empty() && level + 1 < columns_.n_across)
        st = column_totals(*sub, level + 1);
      path_.pop_back();
      if (!st.ok()) return st;
    }
    return {};
  }

  Status emit_rows(const std::string& fact_key);
  Status total(const std::string& fact_key, table::TotalKind kind);

  const json::object& facts_;
  const ReportColumns& columns_;
  table::RowSink& sink_;
  const json::array* down_ = nullptr;
  const json::array* across_ = nullptr;
  bool subtotals_ = true;
  bool grand_total_ = true;
  std::vector<std::string_view> labels_;  // the current group's label per grouping column
  std::vector<table::GroupValue> path_;    // the current groups, outermost first
  // One text per column, and last a detail cell's label (its value as shown).
  std::vector<std::string> texts_;
  WipeTexts wipe_texts_;
  std::vector<Cell> cells_;
  std::vector<std::string> agg_texts_;  // aggregate values as numbers' texts
  WipeTexts wipe_aggs_;
  std::vector<table::Aggregate> aggregates_;
  std::uint64_t rows_ = 0;
};

Status ReportWalker::emit_rows(const std::string& fact_key) {
  const json::object* fact = obj(facts_, fact_key);
  const json::array* fact_rows = fact ? arr(*fact, "rows") : nullptr;
  if (!fact_rows) return {};
  const std::size_t n_groups = labels_.size();
  std::string& label = texts_.back();
  for (const auto& r : *fact_rows) {
    const json::value* data = r.is_object() ? r.get_object().if_contains("dataCells") : nullptr;
    if (!data || !data->is_string()) continue;  // packed by parse_report_dom
    for (std::size_t col = 0; col < n_groups; ++col) {
      set_text(texts_[col], labels_[col]);
      cells_[col] = texts_[col].empty() ? Cell::null() : Cell::string(texts_[col]);
    }
    PackedCells packed(data->get_string());
    for (std::size_t i = 0; i < columns_.detail_types.size(); ++i) {
      ReportCell dc;
      if (!packed.next(dc)) dc = ReportCell{};
      cells_[n_groups + i] = detail_cell(dc, columns_.detail_types[i], texts_[n_groups + i], label);
    }
    if (Status s = sink_.row(cells_); !s.ok()) return s;
    ++rows_;
  }
  return {};
}

// The fact's aggregates, named from the report's metadata; nothing when the
// fact map has none for `fact_key`.
Status ReportWalker::total(const std::string& fact_key, table::TotalKind kind) {
  const json::object* fact = obj(facts_, fact_key);
  const json::array* aggs = fact ? arr(*fact, "aggregates") : nullptr;
  if (!aggs || aggs->empty()) return {};
  aggregates_.clear();
  for (std::size_t i = 0; i < aggs->size() && i < agg_texts_.size(); ++i) {
    const json::object* a = (*aggs)[i].is_object() ? &(*aggs)[i].get_object() : nullptr;
    const json::value* v = a ? a->if_contains("value") : nullptr;
    std::optional<double> n = v ? as_number(*v) : std::nullopt;
    Cell value = Cell::null();
    if (n) {
      set_text(agg_texts_[i], number_text(*n));
      value = Cell::num(*n, agg_texts_[i]);
    }
    aggregates_.push_back({columns_.aggregate_names[i], str_view(a, "label"), value});
  }
  table::Subtotal t;
  t.kind = kind;
  if (kind != table::TotalKind::kGrand) t.groups = path_;
  t.aggregates = aggregates_;
  return sink_.subtotal(t);
}

}  // namespace

Status emit_report(std::string_view body, table::RowSink& sink) {
  ZeroingResource zeroing;  // the document holds every record value
  Result<json::value> parsed = parse_report_dom(body, &zeroing);
  if (!parsed || !parsed.value().is_object()) return bad("not a JSON object");
  const json::value& doc = parsed.value();
  const auto& root = doc.get_object();
  const json::object* meta = obj(root, "reportMetadata");
  const json::object* ext = obj(root, "reportExtendedMetadata");
  if (!meta || !obj(root, "factMap")) return bad("reportMetadata or factMap missing");
  const std::string format = str(meta, "reportFormat");
  if (format != "TABULAR" && format != "SUMMARY" && format != "MATRIX")
    return Status::error(ErrorKind::kPermanent,
                         "salesforce: report format " + format +
                             " is not supported; use a tabular, summary or matrix report",
                         "UNSUPPORTED_REPORT_FORMAT");
  const ReportColumns columns = columns_of(root, *meta, ext, format);
  if (Status s = sink.begin(columns.header); !s.ok()) return s;
  ReportWalker walker(root, *meta, columns, sink);
  if (Status s = walker.run(); !s.ok()) return s;
  table::TableFooter footer;
  footer.rows = walker.rows();
  auto* all = root.if_contains("allData");
  footer.truncated = all && all->is_bool() && !all->get_bool();
  return sink.end(footer);
}

Result<std::vector<ReportColumn>> report_detail_columns(std::string_view body) {
  json::error_code ec;
  json::value doc = json::parse(body, ec);
  if (ec || !doc.is_object()) return bad("describe: not a JSON object");
  const auto& root = doc.get_object();
  const json::object* meta = obj(root, "reportMetadata");
  const json::object* ext = obj(root, "reportExtendedMetadata");
  if (!meta) return bad("describe: reportMetadata missing");
  const json::object* info = ext ? obj(*ext, "detailColumnInfo") : nullptr;
  std::vector<ReportColumn> out;
  if (const json::array* cols = arr(*meta, "detailColumns")) {
    for (const auto& col : *cols) {
      if (!col.is_string()) continue;
      ReportColumn c{std::string(col.get_string()), {}};
      const json::object* about = info ? obj(*info, c.key) : nullptr;
      c.field = str(about, "entityColumnName");
      if (c.field.empty()) c.field = str(about, "label");
      if (c.field.empty()) c.field = c.key;
      out.push_back(std::move(c));
    }
  }
  return out;
}

}  // namespace reportd::salesforce
