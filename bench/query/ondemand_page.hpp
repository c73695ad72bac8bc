#pragma once
// simdjson On-Demand over one REST query page, doing what QueryPageParser
// does (the select-list paths flattened through relationship objects,
// case-insensitive keys, strings unescaped and sniffed for dates, numbers
// kept as their wire text, one RowSink call per record, no value copied),
// so that the benchmark compares the two parsers on the same work.
// Benchmark only.

#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

#include "salesforce_client/cell_parse.hpp"
#include "salesforce_client/soql_fields.hpp"
#include "table/table.hpp"

namespace reportd::bench {

class OnDemandPage {
 public:
  explicit OnDemandPage(const std::vector<salesforce::SelectField>& fields) {
    nodes_.push_back({});
    for (std::size_t c = 0; c < fields.size(); ++c) {
      int at = 0;
      for (const auto& part : fields[c].path) {
        std::string low;
        for (char ch : part) low.push_back(lower(ch));
        int next = -1;
        for (int child : nodes_[static_cast<std::size_t>(at)].children)
          if (nodes_[static_cast<std::size_t>(child)].name == low) next = child;
        if (next < 0) {
          next = static_cast<int>(nodes_.size());
          nodes_.push_back({low, {}, -1});
          nodes_[static_cast<std::size_t>(at)].children.push_back(next);
        }
        at = next;
      }
      nodes_[static_cast<std::size_t>(at)].column = static_cast<int>(c);
    }
    cells_.resize(fields.size());
  }

  // Records sent to `sink`; -1 on a parse error. `page` needs
  // SIMDJSON_PADDING bytes of capacity past its end.
  long parse(simdjson::padded_string_view page, table::RowSink& sink) {
    simdjson::ondemand::document doc;
    if (parser_.iterate(page).get(doc)) return -1;
    simdjson::ondemand::array records;
    if (doc["records"].get_array().get(records)) return -1;
    long n = 0;
    for (auto rec : records) {
      simdjson::ondemand::object obj;
      if (rec.get_object().get(obj)) return -1;
      for (auto& c : cells_) c = table::Cell::null();
      if (!walk(obj, 0)) return -1;
      (void)sink.row(cells_);
      ++n;
    }
    return n;
  }

 private:
  struct Node {
    std::string name;
    std::vector<int> children;
    int column = -1;
  };
  static char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

  int child(int at, std::string_view key) const {
    for (int c : nodes_[static_cast<std::size_t>(at)].children) {
      const std::string& name = nodes_[static_cast<std::size_t>(c)].name;
      if (name.size() != key.size()) continue;
      bool same = true;
      for (std::size_t i = 0; same && i < key.size(); ++i) same = lower(key[i]) == name[i];
      if (same) return c;
    }
    return -1;
  }

  bool walk(simdjson::ondemand::object obj, int at) {
    for (auto field : obj) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return false;
      const int node = child(at, key);
      if (node < 0) continue;  // skipped unread
      simdjson::ondemand::value v = field.value();
      const Node& nd = nodes_[static_cast<std::size_t>(node)];
      simdjson::ondemand::json_type type;
      if (v.type().get(type)) return false;
      if (!nd.children.empty()) {
        if (type != simdjson::ondemand::json_type::object) continue;
        simdjson::ondemand::object inner;
        if (v.get_object().get(inner) || !walk(inner, node)) return false;
        continue;
      }
      if (nd.column < 0) continue;
      const auto c = static_cast<std::size_t>(nd.column);
      switch (type) {
        case simdjson::ondemand::json_type::string: {
          // Unescaped into the parser's string buffer, which lives until the
          // next page: the cell views it, as the SAX parser's cells view the page.
          std::string_view s;
          if (v.get_string().get(s)) return false;
          cells_[c] = salesforce::sniff_string_cell(s);
          break;
        }
        case simdjson::ondemand::json_type::number: {
          std::string_view raw = v.raw_json_token();
          while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n')) raw.remove_suffix(1);
          double d = 0;
          if (v.get_double().get(d)) return false;
          cells_[c] = table::Cell::num(d, raw);  // the wire text, a view into the page
          break;
        }
        case simdjson::ondemand::json_type::boolean: {
          bool b = false;
          if (v.get_bool().get(b)) return false;
          cells_[c] = table::Cell::boolean_value(b);
          break;
        }
        default:
          break;
      }
    }
    return true;
  }

  simdjson::ondemand::parser parser_;
  std::vector<Node> nodes_;
  std::vector<table::Cell> cells_;
};

}  // namespace reportd::bench
