// The SAX handler keeps a trie of the select-list paths (lower-cased, since
// Salesforce returns canonical casing whatever the SOQL said) and a cursor
// into it while walking a record. A value outside the selected paths
// (attributes, child subqueries, unknown keys) is handed to JsonSax to skip
// (skip_value); in strict mode it is walked and ignored by depth counting.
#include "salesforce_client/query_page.hpp"

#include "salesforce_client/cell_parse.hpp"
#include "salesforce_client/json_sax.hpp"
#include "table/wipe.hpp"

namespace reportd::salesforce {
namespace json = boost::json;
using table::Cell;
using table::CellType;

namespace {
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
// A key that can stand as a hint as it is: printable ASCII, no quote or
// backslash (a key spelled with escapes is not one).
bool plain_key(std::string_view key) {
  for (char c : key)
    if (c <= ' ' || c > '~' || c == '"' || c == '\\') return false;
  return !key.empty();
}
bool ieq_lower(std::string_view key, std::string_view lowered) {
  if (key.size() != lowered.size()) return false;
  for (std::size_t i = 0; i < key.size(); ++i)
    if (lower(key[i]) != lowered[i]) return false;
  return true;
}

// Byte-for-byte equality, inlined: the keys are field names, most under 32
// bytes, and a call to memcmp for each key of each record cost more than
// the compare (json_sax.hpp's words of 8 or 4 bytes).
[[gnu::always_inline]] inline bool same_bytes(std::string_view a, std::string_view b) {
  return a.size() == b.size() && json_sax_detail::same_bytes(a.data(), b.data(), a.size());
}
}  // namespace

struct QueryPageParser::Handler {
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);

  struct Node {
    std::string name;  // lower-cased key
    std::vector<int> children;
    int column = -1;
    std::size_t hint = 0;  // the child after the last one matched: records keep their key order
    std::string wire;      // this node's name as the page spelled it when it last matched
    std::string miss;      // the last key under this node that matched no child ("attributes")
    // The keys of this node's objects in the order the page gives them, as
    // it spells them, with the child each names (-1: none), and the cursor
    // into them: JsonSax compares the next key with it (key_hint).
    struct Step {
      std::string wire;
      int child;
    };
    std::vector<Step> order;
    std::size_t next = 0;
  };
  static constexpr std::size_t kMaxOrder = 256;

  explicit Handler(const std::vector<SelectField>& fields) {
    nodes.push_back({});
    for (std::size_t c = 0; c < fields.size(); ++c) {
      if (fields[c].path.empty()) continue;
      int at = 0;
      for (const auto& part : fields[c].path) {
        std::string low;
        for (char ch : part) low.push_back(lower(ch));
        int next = -1;
        for (int child : nodes[static_cast<std::size_t>(at)].children)
          if (nodes[static_cast<std::size_t>(child)].name == low) next = child;
        if (next < 0) {
          next = static_cast<int>(nodes.size());
          nodes.push_back({low, {}, -1, 0, {}, {}, {}, 0});
          nodes[static_cast<std::size_t>(at)].children.push_back(next);
        }
        at = next;
      }
      nodes[static_cast<std::size_t>(at)].column = static_cast<int>(c);
    }
    cells.resize(fields.size());
    texts.resize(fields.size());
  }
  // The buffers hold the last record's values.
  ~Handler() {
    for (auto& t : texts) wipe(t);
    wipe(str_buf);
    wipe(num_buf);
  }

  void reset(std::string_view p, table::RowSink* s, std::vector<CellType>* t) {
    page = p;
    sink = s;
    types = t;
    info = {};
    depth = 0;
    skip = 0;
    in_records = false;
    top_key.clear();
    stack.clear();
    pending = -1;
    status = Status();
  }

  // --- state ---
  bool shortcuts = true;  // key hints and skipped values (JsonSax's hooks); off: strict
  std::vector<Node> nodes;
  std::vector<Cell> cells;
  std::vector<std::string> texts;  // values not found whole in the page (escaped or split)
  std::string_view page;           // the page being parsed: values in it are not copied
  table::RowSink* sink = nullptr;
  std::vector<CellType>* types = nullptr;
  QueryPageInfo info;
  int depth = 0;
  int skip = 0;
  bool in_records = false;
  std::string top_key;
  std::vector<int> stack;  // trie node of each open object inside a record
  int pending = -1;        // trie node named by the last key inside a record
  std::string key_buf, str_buf, num_buf;
  Status status;

  bool in_record() const { return in_records && depth >= 3; }

  // The column the current value belongs to, or -1.
  int value_column() const {
    if (!in_record() || pending < 0) return -1;
    return nodes[static_cast<std::size_t>(pending)].column;
  }

  // `text` itself when it lies in the page (it lives as long as the page),
  // else a copy in the column's own buffer (the parser's lives one callback).
  std::string_view keep(std::size_t c, std::string_view text) {
    if (text.data() >= page.data() && text.data() + text.size() <= page.data() + page.size())
      return text;
    if (text.size() > texts[c].capacity()) wipe(texts[c]);  // about to be reallocated
    texts[c].assign(text.data(), text.size());
    return texts[c];
  }

  // The child of `at` named `key` (compared case-insensitively), or -1.
  // Every record spells its keys the same way and in the same order, so
  // the key is first compared byte for byte with the spelling of the child
  // after the one matched last, then with the last key that matched none;
  // only then are the children searched, from that child on.
  int match_child(int at, std::string_view key) {
    Node& node = nodes[static_cast<std::size_t>(at)];
    const std::size_t n = node.children.size();
    if (node.hint < n) {
      const int next = node.children[node.hint];
      const std::string& wire = nodes[static_cast<std::size_t>(next)].wire;
      if (!wire.empty() && same_bytes(key, wire)) {  // empty: never matched (no field is "")
        ++node.hint;
        return next;
      }
    }
    if (same_bytes(key, node.miss)) return -1;
    for (std::size_t k = 0, i = node.hint; k < n; ++k, ++i) {
      if (i >= n) i = 0;
      const int child = node.children[i];
      Node& c = nodes[static_cast<std::size_t>(child)];
      if (ieq_lower(key, c.name)) {
        node.hint = i + 1;
        c.wire.assign(key);  // a field's name, not a value
        return child;
      }
    }
    node.miss.assign(key);
    return -1;
  }

  bool finish_record(json::error_code& ec) {
    ++info.records;
    if (types) {
      for (std::size_t i = 0; i < cells.size(); ++i)
        if ((*types)[i] == CellType::kNull) (*types)[i] = cells[i].type;
      return true;
    }
    status = sink->row(cells);
    if (!status.ok()) {
      ec = json::error::exception;
      return false;
    }
    return true;
  }

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }

  bool on_object_begin(json::error_code& ec) {
    if (skip) return ++skip, true;
    if (depth == 0) return ++depth, true;
    if (in_records && depth == 2) {  // a record
      ++depth;
      for (auto& c : cells) c = Cell::null();
      stack.assign(1, 0);
      nodes[0].next = 0;
      pending = -1;
      return true;
    }
    if (in_record() && pending >= 0 && !nodes[static_cast<std::size_t>(pending)].children.empty()) {
      ++depth;
      stack.push_back(pending);
      nodes[static_cast<std::size_t>(pending)].next = 0;
      pending = -1;
      return true;
    }
    (void)ec;
    skip = 1;
    return true;
  }

  bool on_object_end(std::size_t, json::error_code& ec) {
    if (skip) return --skip, true;
    if (in_records && depth == 3) {
      --depth;
      stack.clear();
      return finish_record(ec);
    }
    if (in_record()) stack.pop_back();
    --depth;
    pending = -1;
    return true;
  }

  bool on_array_begin(json::error_code& ec) {
    if (skip) return ++skip, true;
    if (depth == 0) {  // an error array, not a query page
      ec = json::error::syntax;
      return false;
    }
    if (depth == 1 && top_key == "records") {
      in_records = true;
      ++depth;
      return true;
    }
    skip = 1;
    return true;
  }

  bool on_array_end(std::size_t, json::error_code&) {
    if (skip) return --skip, true;
    --depth;
    in_records = false;
    return true;
  }

  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    if (!skip) key_buf.append(s.data(), s.size());
    return true;
  }

  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    if (skip) return true;
    std::string_view key(s.data(), s.size());
    if (!key_buf.empty()) {
      key_buf.append(s.data(), s.size());
      key = key_buf;
    }
    if (depth == 1) {
      top_key.assign(key);
    } else if (in_record()) {
      pending = match_child(stack.back(), key);
      learn(key);
    }
    key_buf.clear();
    return true;
  }

  // JsonSax's hooks (json_sax.hpp). The key expected next in this object of
  // a record: the one the page gave at this place before.
  std::string_view key_hint() const {
    if (!shortcuts || skip || !in_record()) return {};
    const Node& n = nodes[static_cast<std::size_t>(stack.back())];
    return n.next < n.order.size() ? std::string_view(n.order[n.next].wire) : std::string_view();
  }
  bool on_hinted_key(json::error_code&) {
    Node& n = nodes[static_cast<std::size_t>(stack.back())];
    pending = n.order[n.next++].child;
    return true;
  }
  // A record's value no column takes (its attributes, a field not selected).
  bool skip_value() const { return shortcuts && skip == 0 && in_record() && pending < 0; }

  // Remembers a key that came unhinted where the cursor is: the first time
  // through, or where the page changed its order from there on.
  void learn(std::string_view key) {
    Node& n = nodes[static_cast<std::size_t>(stack.back())];
    if (!plain_key(key)) return;
    n.order.resize(std::min(n.next, n.order.size()));
    if (n.order.size() >= kMaxOrder) return;
    n.order.push_back({std::string(key), pending});  // a field's name, not a value
    n.next = n.order.size();
  }

  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    if (!skip) str_buf.append(s.data(), s.size());
    return true;
  }

  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    if (skip) return true;
    std::string_view v(s.data(), s.size());
    if (!str_buf.empty()) {
      str_buf.append(s.data(), s.size());
      v = str_buf;
    }
    if (depth == 1 && top_key == "nextRecordsUrl") {
      info.next_records_url.assign(v);
    } else if (int col = value_column(); col >= 0) {
      auto c = static_cast<std::size_t>(col);
      cells[c] = sniff_string_cell(keep(c, v));
    }
    str_buf.clear();
    return true;
  }

  bool on_number_part(json::string_view s, json::error_code&) {
    if (!skip) num_buf.append(s.data(), s.size());
    return true;
  }

  bool number(double v, json::string_view s) {
    if (skip) return true;
    std::string_view text(s.data(), s.size());
    if (!num_buf.empty()) {
      num_buf.append(s.data(), s.size());
      text = num_buf;
    }
    if (depth == 1 && top_key == "totalSize") {
      info.total_size = v < 0 ? 0 : static_cast<std::uint64_t>(v);
    } else if (int col = value_column(); col >= 0) {
      auto c = static_cast<std::size_t>(col);
      cells[c] = Cell::num(v, keep(c, text));
    }
    num_buf.clear();
    return true;
  }
  bool on_int64(std::int64_t i, json::string_view s, json::error_code&) {
    return number(static_cast<double>(i), s);
  }
  bool on_uint64(std::uint64_t u, json::string_view s, json::error_code&) {
    return number(static_cast<double>(u), s);
  }
  bool on_double(double d, json::string_view s, json::error_code&) { return number(d, s); }

  bool on_bool(bool b, json::error_code&) {
    if (skip) return true;
    if (depth == 1 && top_key == "done")
      info.done = b;
    else if (int col = value_column(); col >= 0)
      cells[static_cast<std::size_t>(col)] = Cell::boolean_value(b);
    return true;
  }

  bool on_null(json::error_code&) { return true; }  // cells start null
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }
};

// JsonSax, not basic_parser: it accepts the same texts with the same
// callbacks (fuzz/json_sax_fuzz.cpp), and takes the handler's key hints and
// skips the values no column takes (json_sax.hpp).
struct QueryPageParser::Impl {
  explicit Impl(const std::vector<SelectField>& fields) : handler(fields) {}
  Handler handler;
  JsonSax<Handler> parser;
};

QueryPageParser::QueryPageParser(std::vector<SelectField> fields)
    : fields_(std::move(fields)), impl_(std::make_unique<Impl>(fields_)) {}

QueryPageParser::~QueryPageParser() = default;

Result<QueryPageInfo> QueryPageParser::run(std::string_view page, table::RowSink* sink,
                                           std::vector<CellType>* types) {
  Handler& h = impl_->handler;
  h.reset(page, sink, types);
  json::error_code ec;
  const bool parsed = impl_->parser.parse(page, h, ec);
  if (!h.status.ok()) return std::move(h.status);
  if (ec || !parsed)
    return Status::error(ErrorKind::kTransient,
                         "salesforce: query page is not a valid query result (" +
                             (ec ? ec.message() : std::string("incomplete JSON")) + ")",
                         "bad-response");
  if (!h.info.done && h.info.next_records_url.empty())
    return Status::error(ErrorKind::kTransient,
                         "salesforce: query page has done:false but no nextRecordsUrl",
                         "bad-response");
  return std::move(h.info);
}

Result<std::vector<CellType>> QueryPageParser::scan_types(std::string_view page) {
  std::vector<CellType> types(fields_.size(), CellType::kNull);
  auto r = run(page, nullptr, &types);
  if (!r) return std::move(r).status();
  for (auto& t : types)
    if (t == CellType::kNull) t = CellType::kString;
  return types;
}

Result<QueryPageInfo> QueryPageParser::parse(std::string_view page, table::RowSink& sink) {
  return run(page, &sink, nullptr);
}

void QueryPageParser::set_strict(bool strict) { impl_->handler.shortcuts = !strict; }

}  // namespace reportd::salesforce
