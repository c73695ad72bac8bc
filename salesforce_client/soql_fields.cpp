#include "salesforce_client/soql_fields.hpp"

#include <cctype>

namespace reportd::salesforce {
namespace {

bool ieq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

bool is_word(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Position of the keyword `kw` at paren depth 0 outside string literals,
// starting at `from`; npos if absent.
std::size_t find_top_level(std::string_view s, std::string_view kw, std::size_t from) {
  int depth = 0;
  for (std::size_t i = from; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\'') {
      for (++i; i < s.size() && s[i] != '\''; ++i)
        if (s[i] == '\\') ++i;
      continue;
    }
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (depth == 0 && i + kw.size() <= s.size() && ieq(s.substr(i, kw.size()), kw) &&
        (i == 0 || !is_word(s[i - 1])) && (i + kw.size() == s.size() || !is_word(s[i + kw.size()])))
      return i;
  }
  return std::string_view::npos;
}

std::vector<std::string_view> split_top_level(std::string_view s) {
  std::vector<std::string_view> out;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\'') {
      for (++i; i < s.size() && s[i] != '\''; ++i)
        if (s[i] == '\\') ++i;
      continue;
    }
    if (s[i] == '(') ++depth;
    if (s[i] == ')') --depth;
    if (s[i] == ',' && depth == 0) {
      out.push_back(trim(s.substr(start, i - start)));
      start = i + 1;
    }
  }
  out.push_back(trim(s.substr(start)));
  return out;
}

std::vector<std::string> split_path(std::string_view field) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= field.size(); ++i) {
    if (i == field.size() || field[i] == '.') {
      out.emplace_back(field.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

Status unsupported(std::string_view what) {
  return Status::error(ErrorKind::kPermanent,
                       "salesforce: SOQL select list: " + std::string(what) +
                           " is not supported; list the fields explicitly",
                       "UNSUPPORTED_SELECT");
}

}  // namespace

Result<std::vector<SelectField>> parse_select_list(std::string_view soql) {
  std::string_view s = trim(soql);
  if (s.size() < 6 || !ieq(s.substr(0, 6), "select") || (s.size() > 6 && is_word(s[6])))
    return Status::error(ErrorKind::kPermanent, "salesforce: SOQL must start with SELECT",
                         "MALFORMED_QUERY");
  std::size_t from = find_top_level(s, "from", 6);
  if (from == std::string_view::npos)
    return Status::error(ErrorKind::kPermanent, "salesforce: SOQL has no FROM", "MALFORMED_QUERY");
  std::vector<SelectField> fields;
  int expr = 0;
  for (std::string_view item : split_top_level(s.substr(6, from - 6))) {
    if (item.empty())
      return Status::error(ErrorKind::kPermanent, "salesforce: empty item in SOQL select list",
                           "MALFORMED_QUERY");
    if (item.front() == '(') continue;  // child subquery
    if (item.size() >= 6 && ieq(item.substr(0, 6), "typeof") && !is_word(item[6]))
      return unsupported("TYPEOF");
    std::size_t open = item.find('(');
    if (open == std::string_view::npos) {
      std::size_t space = item.find_first_of(" \t\r\n");
      std::string_view field = item.substr(0, space);
      std::string name(field);
      auto path = split_path(field);
      if (space != std::string_view::npos) name = std::string(trim(item.substr(space)));
      fields.push_back({std::move(name), std::move(path)});
      continue;
    }
    std::string_view fn = trim(item.substr(0, open));
    std::size_t close = item.rfind(')');
    if (close == std::string_view::npos || close < open)
      return Status::error(ErrorKind::kPermanent, "salesforce: unbalanced parenthesis in SOQL",
                           "MALFORMED_QUERY");
    std::string_view arg = trim(item.substr(open + 1, close - open - 1));
    std::string_view alias = trim(item.substr(close + 1));
    if (ieq(fn, "fields")) return unsupported("FIELDS()");
    if (ieq(fn, "count") && arg.empty() && fields.empty() && alias.empty()) {
      // SELECT COUNT(): the answer is totalSize; the client emits it as one row.
      fields.push_back({"COUNT()", {}});
      continue;
    }
    const bool passthrough = ieq(fn, "tolabel") || ieq(fn, "convertcurrency") || ieq(fn, "format");
    if (!alias.empty()) {
      fields.push_back({std::string(alias), {std::string(alias)}});
    } else if (passthrough) {
      fields.push_back({std::string(arg), split_path(arg)});
    } else {
      std::string name = "expr" + std::to_string(expr++);
      fields.push_back({name, {name}});
    }
  }
  if (fields.empty()) return unsupported("a select list without plain fields");
  return fields;
}

std::string from_object(std::string_view soql) {
  std::size_t from = find_top_level(soql, "from", 0);
  if (from == std::string_view::npos) return {};
  std::string_view rest = trim(soql.substr(from + 4));
  std::size_t end = 0;
  while (end < rest.size() && is_word(rest[end])) ++end;
  return std::string(rest.substr(0, end));
}

}  // namespace reportd::salesforce
