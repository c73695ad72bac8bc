// A SAX handler that forwards every event to Boost.JSON's value_stack (what
// json::parse itself does) except inside the detail rows' dataCells arrays,
// whose cells it packs into one string per row. A packed cell is its kind
// (one byte, ReportCell::Value); then, unless kMissing, its label (a 4-byte
// size and the bytes); then for kNumber an 8-byte double, for kBool one
// byte, for kString a 4-byte size and the bytes. The buffers that hold
// values (the packed row, a label, a string) are zeroed before a block of
// theirs is freed.
#include "salesforce_client/report_dom.hpp"

#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "table/wipe.hpp"

namespace reportd::salesforce {
namespace json = boost::json;
using Kind = ReportCell::Value;

namespace {

// Where a container sits in a run result.
enum class Role : std::uint8_t {
  kRoot,
  kFactMap,    // root.factMap
  kFact,       // factMap.<key>
  kRows,       // <fact>.rows
  kRow,        // rows[i]
  kCells,      // rows[i].dataCells: packed, not built
  kCell,       // dataCells[j]
  kCellValue,  // dataCells[j].value, an object (currency: {"amount": N})
  kOther,
};

// Appends to a buffer of record values: one that must grow moves to a
// bigger block after the old one is zeroed, so no freed block keeps them.
void append_wiped(std::string& out, std::string_view bytes) {
  if (out.size() + bytes.size() > out.capacity()) {
    std::string bigger;
    bigger.reserve(std::max(2 * out.capacity(), out.size() + bytes.size()));
    bigger.append(out);
    wipe(out);
    out.swap(bigger);
  }
  out.append(bytes);
}

// Replaces a buffer's bytes; the old block is zeroed if it is to be freed.
void assign_wiped(std::string& out, std::string_view bytes) {
  wipe_bytes(out.data(), out.size());
  out.clear();
  append_wiped(out, bytes);
}

void put_u32(std::string& out, std::size_t n) {
  const auto v = static_cast<std::uint32_t>(n);
  append_wiped(out, std::string_view(reinterpret_cast<const char*>(&v), sizeof v));
}

struct Builder {
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  explicit Builder(json::storage_ptr sp) : st(sp) { st.reset(sp); }
  ~Builder() {
    wipe(packed);
    wipe(label);
    wipe(text);
    wipe(part);
  }

  json::value_stack st;
  std::vector<Role> frames;
  std::ptrdiff_t cells_at = -1;  // index of the open kCells frame, or -1
  std::string key;               // the last key, whole
  std::string part;              // a string value's parts so far
  std::string packed;            // the open dataCells array's cells
  // The open cell.
  Kind kind = Kind::kNull;
  std::string label, text;
  double number = 0;
  bool boolean = false;

  bool packing() const { return cells_at >= 0; }
  Role top() const { return frames.empty() ? Role::kOther : frames.back(); }

  Role child_role(bool array) {
    if (frames.empty()) return Role::kRoot;
    switch (frames.back()) {
      case Role::kRoot:
        return !array && key == "factMap" ? Role::kFactMap : Role::kOther;
      case Role::kFactMap:
        return !array ? Role::kFact : Role::kOther;
      case Role::kFact:
        return array && key == "rows" ? Role::kRows : Role::kOther;
      case Role::kRows:
        return !array ? Role::kRow : Role::kOther;
      case Role::kRow:
        return array && key == "dataCells" ? Role::kCells : Role::kOther;
      case Role::kCells:
        return !array ? Role::kCell : Role::kOther;
      case Role::kCell:
        if (key == "value") kind = Kind::kOther;  // an object or array value
        return !array && key == "value" ? Role::kCellValue : Role::kOther;
      default:
        return Role::kOther;
    }
  }

  void open(bool array) {
    const Role role = child_role(array);
    if (packing() && top() == Role::kCells && array) missing_cell();
    frames.push_back(role);
    if (role == Role::kCells) cells_at = static_cast<std::ptrdiff_t>(frames.size()) - 1;
    if (role == Role::kCell) {
      kind = Kind::kNull;
      label.clear();
      text.clear();
    }
  }

  void missing_cell() { append_wiped(packed, std::string_view("\0", 1)); }

  void end_cell() {
    const char k = static_cast<char>(kind);
    append_wiped(packed, std::string_view(&k, 1));
    put_u32(packed, label.size());
    append_wiped(packed, label);
    if (kind == Kind::kNumber)
      append_wiped(packed, std::string_view(reinterpret_cast<const char*>(&number), sizeof number));
    if (kind == Kind::kBool)
      append_wiped(packed, boolean ? std::string_view("\1", 1) : std::string_view("\0", 1));
    if (kind == Kind::kString) {
      put_u32(packed, text.size());
      append_wiped(packed, text);
    }
    wipe_bytes(label.data(), label.size());
    wipe_bytes(text.data(), text.size());
  }

  // A scalar inside a dataCells array.
  enum class Scalar { kString, kNumber, kBool, kNull };
  void cell_scalar(Scalar what, std::string_view s, double d, bool b) {
    if (top() == Role::kCells) return missing_cell();
    if (top() == Role::kCell && key == "label") {
      assign_wiped(label, what == Scalar::kString ? s : std::string_view());
    } else if (top() == Role::kCell && key == "value") {
      kind = what == Scalar::kString   ? Kind::kString
             : what == Scalar::kNumber ? Kind::kNumber
             : what == Scalar::kBool   ? Kind::kBool
                                       : Kind::kNull;
      if (what == Scalar::kString) assign_wiped(text, s);
      number = d;
      boolean = b;
    } else if (top() == Role::kCellValue && key == "amount") {
      kind = what == Scalar::kNumber ? Kind::kNumber
             : what == Scalar::kNull ? Kind::kNull
                                     : Kind::kOther;
      number = d;
    }
  }

  // A scalar outside: the plain DOM, except that a dataCells that is not an
  // array becomes null (a packed string is never confused with one).
  bool replaces_cells() const { return top() == Role::kRow && key == "dataCells"; }

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) {
    open(false);
    return true;
  }
  bool on_object_end(std::size_t n, json::error_code&) {
    const Role role = frames.back();
    frames.pop_back();
    if (!packing()) {
      st.push_object(n);
    } else if (role == Role::kCell) {
      end_cell();
    }
    return true;
  }
  bool on_array_begin(json::error_code&) {
    open(true);
    return true;
  }
  bool on_array_end(std::size_t n, json::error_code&) {
    const Role role = frames.back();
    frames.pop_back();
    if (role == Role::kCells) {
      cells_at = -1;
      st.push_string(packed);
      wipe_bytes(packed.data(), packed.size());
      packed.clear();
    } else if (!packing()) {
      st.push_array(n);
    }
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t n, json::error_code&) {
    if (n == s.size()) key.clear();  // the first part
    key.append(s.data(), s.size());
    if (!packing()) st.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t n, json::error_code&) {
    if (n > s.size()) {  // after parts
      key.append(s.data(), s.size());
    } else {
      key.assign(s.data(), s.size());
    }
    if (!packing()) st.push_key(s);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    if (packing()) {
      append_wiped(part, std::string_view(s.data(), s.size()));
    } else if (!replaces_cells()) {
      st.push_chars(s);
    }
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    if (packing()) {
      std::string_view whole(s.data(), s.size());
      if (!part.empty()) {
        append_wiped(part, whole);
        whole = part;
      }
      cell_scalar(Scalar::kString, whole, 0, false);
      wipe_bytes(part.data(), part.size());
      part.clear();
    } else if (replaces_cells()) {
      st.push_null();
    } else {
      st.push_string(s);
    }
    return true;
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool number_value(double d) {
    if (packing()) {
      cell_scalar(Scalar::kNumber, {}, d, false);
    } else if (replaces_cells()) {
      st.push_null();
    } else {
      return false;
    }
    return true;
  }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
    if (!number_value(static_cast<double>(i))) st.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    if (!number_value(static_cast<double>(u))) st.push_uint64(u);
    return true;
  }
  bool on_double(double d, json::string_view, json::error_code&) {
    if (!number_value(d)) st.push_double(d);
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    if (packing()) {
      cell_scalar(Scalar::kBool, {}, 0, b);
    } else if (replaces_cells()) {
      st.push_null();
    } else {
      st.push_bool(b);
    }
    return true;
  }
  bool on_null(json::error_code&) {
    if (packing()) {
      cell_scalar(Scalar::kNull, {}, 0, false);
    } else {
      st.push_null();
    }
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }
};

bool take_u32(std::string_view& in, std::size_t& n) {
  std::uint32_t v = 0;
  if (in.size() < sizeof v) return false;
  std::memcpy(&v, in.data(), sizeof v);
  in.remove_prefix(sizeof v);
  n = v;
  return true;
}

bool take_text(std::string_view& in, std::string_view& out) {
  std::size_t n = 0;
  if (!take_u32(in, n) || in.size() < n) return false;
  out = in.substr(0, n);
  in.remove_prefix(n);
  return true;
}

}  // namespace

Result<json::value> parse_report_dom(std::string_view body, json::storage_ptr sp) {
  json::basic_parser<Builder> parser(json::parse_options{}, sp);
  json::error_code ec;
  parser.write_some(false, body.data(), body.size(), ec);
  if (ec || !parser.done())
    return Status::error(ErrorKind::kPermanent, "salesforce: report result: not a JSON object",
                         "bad-report");
  return parser.handler().st.release();
}

bool PackedCells::next(ReportCell& cell) {
  if (rest_.empty()) return false;
  cell = ReportCell{};
  const auto kind = static_cast<Kind>(rest_.front());
  rest_.remove_prefix(1);
  if (kind == Kind::kMissing) return true;
  if (kind > Kind::kOther || !take_text(rest_, cell.label)) return rest_ = {}, false;
  cell.value = kind;
  if (kind == Kind::kNumber) {
    if (rest_.size() < sizeof cell.number) return rest_ = {}, false;
    std::memcpy(&cell.number, rest_.data(), sizeof cell.number);
    rest_.remove_prefix(sizeof cell.number);
  } else if (kind == Kind::kBool) {
    if (rest_.empty()) return false;
    cell.boolean = rest_.front() != 0;
    rest_.remove_prefix(1);
  } else if (kind == Kind::kString && !take_text(rest_, cell.text)) {
    return rest_ = {}, false;
  }
  return true;
}

}  // namespace reportd::salesforce
