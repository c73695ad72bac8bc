// SOQL condition evaluation: null-aware comparisons, case-insensitive
// string equality, LIKE with % and _.
#include <cctype>
#include <cstdlib>

#include "soql.hpp"

namespace reportd::sim {

int compare_values(const Value& a, const Value& b) {
  if (a.kind == Value::Kind::kNumber || b.kind == Value::Kind::kNumber) {
    double x = std::strtod(a.text.c_str(), nullptr), y = std::strtod(b.text.c_str(), nullptr);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.kind == Value::Kind::kBool) return int(a.flag) - int(b.flag);
  // ISO dates and datetimes compare as text; align "+0000" with "Z".
  std::string_view x = a.text, y = b.text;
  if (x.size() >= 19 && y.size() >= 19 && x[10] == 'T' && y[10] == 'T') {
    x = x.substr(0, 19);
    y = y.substr(0, 19);
  }
  return x.compare(y) < 0 ? -1 : x.compare(y) > 0 ? 1 : 0;
}

namespace {

bool like(std::string_view s, std::string_view p) {
  if (p.empty()) return s.empty();
  if (p[0] == '%') {
    for (size_t i = 0; i <= s.size(); ++i)
      if (like(s.substr(i), p.substr(1))) return true;
    return false;
  }
  if (s.empty()) return false;
  bool same = p[0] == '_' || std::tolower(static_cast<unsigned char>(p[0])) ==
                                 std::tolower(static_cast<unsigned char>(s[0]));
  return same && like(s.substr(1), p.substr(1));
}

bool equal(const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return a.is_null() && b.is_null();
  if (a.kind == Value::Kind::kString && b.kind == Value::Kind::kString)
    return iequals(a.text, b.text);  // SOQL string equality is case-insensitive
  return compare_values(a, b) == 0;
}

}  // namespace

bool matches(const Condition& c, const Value& v) {
  const Value& lit = c.values.front();
  if (c.op == "=") return equal(v, lit);
  if (c.op == "!=") return !equal(v, lit);
  if (c.op == "IN" || c.op == "NOTIN") {
    bool found = false;
    for (const auto& x : c.values) found = found || equal(v, x);
    return c.op == "IN" ? found : !found;
  }
  if (v.is_null() || lit.is_null()) return false;
  if (c.op == "LIKE") return like(v.text, lit.text);
  int r = compare_values(v, lit);
  if (c.op == "<") return r < 0;
  if (c.op == "<=") return r <= 0;
  if (c.op == ">") return r > 0;
  return r >= 0;
}

}  // namespace reportd::sim
