// Report results hold at most 2,000 detail rows, so a DOM is fine here.
// Detail rows sit in the fact map under "<down>!<across>" keys; only the
// deepest grouping keys are read so that no row is emitted twice.
#include "salesforce_client/report_parser.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <optional>

#include "salesforce_client/cell_parse.hpp"
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

// A grouping level: its leaves as (fact-map key, labels from the top down).
// The labels are grouping values (record values): zeroed with the leaf.
struct Leaf {
  Leaf(std::string k, std::vector<std::string> l) : key(std::move(k)), labels(std::move(l)) {}
  Leaf(const Leaf&) = default;
  Leaf(Leaf&&) = default;
  Leaf& operator=(const Leaf&) = default;
  Leaf& operator=(Leaf&&) = default;
  ~Leaf() {
    for (std::string& l : labels) wipe(l);
  }
  std::string key;
  std::vector<std::string> labels;
};

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

void collect_leaves(const json::array& groupings, std::vector<std::string>& labels,
                    std::vector<Leaf>& out) {
  for (const auto& g : groupings) {
    if (!g.is_object()) continue;
    const auto& go = g.get_object();
    labels.push_back(str(&go, "label"));
    const json::array* sub = arr(go, "groupings");
    if (sub && !sub->empty())
      collect_leaves(*sub, labels, out);
    else
      out.emplace_back(str(&go, "key"), labels);
    wipe(labels.back());
    labels.pop_back();
  }
}

std::vector<Leaf> leaves(const json::object& root, std::string_view which) {
  std::vector<Leaf> out;
  std::vector<std::string> labels;
  if (auto* g = obj(root, which))
    if (auto* a = arr(*g, "groupings")) collect_leaves(*a, labels, out);
  if (out.empty()) out.emplace_back("T", std::vector<std::string>());
  return out;
}

// The report's columns: its groupings (down, then across; none for a
// tabular report), then its detail columns with their types.
struct ReportColumns {
  table::TableHeader header;
  std::size_t n_down = 0;
  std::size_t n_across = 0;
  std::vector<CellType> detail_types;
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
  return c;
}

// One detail cell of type `type`. Its text goes to `text` (the cell points
// into it); `label` receives the cell's label (its value as shown).
Cell detail_cell(const json::object* dc, CellType type, std::string& text, std::string& label) {
  const json::value* value = dc ? dc->if_contains("value") : nullptr;
  set_text(label, str_view(dc, "label"));
  const bool is_null = !value || value->is_null() ||
                       (value->is_object() && value->get_object().if_contains("amount") &&
                        value->get_object().at("amount").is_null());
  if (is_null) return Cell::null();
  switch (type) {
    case CellType::kNumber:
      if (auto n = as_number(*value)) {
        set_text(text, number_text(*n));
        return Cell::num(*n, text);
      }
      return Cell::null();
    case CellType::kBoolean:
      return value->is_bool() ? Cell::boolean_value(value->get_bool()) : Cell::null();
    case CellType::kDate:
    case CellType::kDateTime:
      if (!value->is_string()) return Cell::null();
      set_text(text, value->get_string());
      return sniff_string_cell(text);
    default:
      set_text(text, label.empty() && value->is_string() ? std::string_view(value->get_string())
                                                          : std::string_view(label));
      return Cell::string(text);
  }
}

}  // namespace

Status emit_report(std::string_view body, table::RowSink& sink) {
  json::error_code ec;
  ZeroingResource zeroing;  // the document holds every record value
  json::value doc = json::parse(body, ec, &zeroing);
  if (ec || !doc.is_object()) return bad("not a JSON object");
  const auto& root = doc.get_object();
  const json::object* meta = obj(root, "reportMetadata");
  const json::object* ext = obj(root, "reportExtendedMetadata");
  const json::object* facts = obj(root, "factMap");
  if (!meta || !facts) return bad("reportMetadata or factMap missing");
  const std::string format = str(meta, "reportFormat");
  if (format != "TABULAR" && format != "SUMMARY" && format != "MATRIX")
    return Status::error(ErrorKind::kPermanent,
                         "salesforce: report format " + format +
                             " is not supported; use a tabular, summary or matrix report",
                         "UNSUPPORTED_REPORT_FORMAT");
  const ReportColumns columns = columns_of(root, *meta, ext, format);
  const std::size_t n_down = columns.n_down, n_across = columns.n_across;
  const std::vector<CellType>& detail_types = columns.detail_types;
  if (Status s = sink.begin(columns.header); !s.ok()) return s;

  const std::vector<Leaf> down = leaves(root, n_down ? "groupingsDown" : "");
  const std::vector<Leaf> across = leaves(root, n_across ? "groupingsAcross" : "");
  // One text per column, and last a detail cell's label (its value as shown).
  std::vector<std::string> texts(columns.header.columns.size() + 1);
  WipeTexts wipe_texts{texts};
  std::string& label = texts.back();
  std::vector<Cell> cells(columns.header.columns.size());
  std::uint64_t rows = 0;
  for (const auto& d : down) {
    for (const auto& a : across) {
      const json::object* fact = obj(*facts, d.key + "!" + a.key);
      const json::array* fact_rows = fact ? arr(*fact, "rows") : nullptr;
      if (!fact_rows) continue;
      for (const auto& r : *fact_rows) {
        const json::array* data = r.is_object() ? arr(r.get_object(), "dataCells") : nullptr;
        if (!data) continue;
        std::size_t col = 0;
        auto put_group = [&](const std::vector<std::string>& labels, std::size_t n) {
          for (std::size_t i = 0; i < n; ++i, ++col) {
            set_text(texts[col], i < labels.size() ? std::string_view(labels[i]) : std::string_view());
            cells[col] = texts[col].empty() ? Cell::null() : Cell::string(texts[col]);
          }
        };
        put_group(d.labels, n_down);
        put_group(a.labels, n_across);
        for (std::size_t i = 0; i < detail_types.size(); ++i, ++col) {
          const json::object* dc =
              i < data->size() && (*data)[i].is_object() ? &(*data)[i].get_object() : nullptr;
          cells[col] = detail_cell(dc, detail_types[i], texts[col], label);
        }
        if (Status s = sink.row(cells); !s.ok()) return s;
        ++rows;
      }
    }
  }
  table::TableFooter footer;
  footer.rows = rows;
  auto* all = root.if_contains("allData");
  footer.truncated = all && all->is_bool() && !all->get_bool();
  return sink.end(footer);
}

}  // namespace reportd::salesforce
