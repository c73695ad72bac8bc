#include "soql.hpp"

#include <cctype>
#include <charconv>
#include <cstdlib>

namespace reportd::sim {
namespace {

struct Token {
  enum class Kind { kIdent, kString, kNumber, kPunct, kEnd };
  Kind kind = Kind::kEnd;
  std::string text;
  size_t pos = 0;
};

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

class Parser {
 public:
  Parser(std::string_view text, const HiddenField* hidden) : text_(text), hidden_(hidden) {}

  std::variant<Query, SoqlError> run() {
    if (!tokenize()) return error_;
    Query q;
    if (!expect_keyword("SELECT")) return error_;
    std::vector<Token> field_tokens;
    if (is_keyword("COUNT") && peek(1).text == "(") {
      next();
      next();
      if (peek().text == ")") {
        q.count_only = true;
      } else {
        q.aggregate_count = true;
        field_tokens.push_back(next());
      }
      if (next().text != ")") return malformed(prev());
      q.aggregate_alias = "expr0";
      if (peek().kind == Token::Kind::kIdent && !is_keyword("FROM")) q.aggregate_alias = next().text;
    } else {
      for (;;) {
        const Token& t = next();
        if (t.text == "(") return fail("MALFORMED_QUERY", t, "subqueries are not supported by reportd-sfsim");
        if (t.kind != Token::Kind::kIdent || upper(t.text) == "FROM") return malformed(t);
        field_tokens.push_back(t);
        if (peek().text != ",") break;
        next();
      }
    }
    if (!expect_keyword("FROM")) return error_;
    const Token& obj_tok = next();
    if (obj_tok.kind != Token::Kind::kIdent) return malformed(obj_tok);
    q.object = find_object(obj_tok.text);
    if (q.object == nullptr)
      return fail("INVALID_TYPE", obj_tok,
                  "sObject type '" + obj_tok.text +
                      "' is not supported. If you are attempting to use a custom object, be sure "
                      "to append the '__c' after the entity name. Please reference your WSDL or "
                      "the describe call for the appropriate names.");
    for (const auto& ft : field_tokens) {
      FieldPath p;
      if (!resolve(*q.object, ft, p)) return error_;
      if (!q.aggregate_count) {
        bool dup = false;
        for (const auto& existing : q.fields) dup = dup || existing.dotted == p.dotted;
        if (dup) return fail("MALFORMED_QUERY", ft, "duplicate field selected: " + p.dotted);
      }
      q.fields.push_back(std::move(p));
    }
    if (is_keyword("WHERE")) {
      next();
      for (;;) {
        Condition c;
        if (!condition(*q.object, c)) return error_;
        q.where.push_back(std::move(c));
        if (is_keyword("AND")) {
          next();
          continue;
        }
        if (is_keyword("OR")) return fail("MALFORMED_QUERY", peek(), "OR is not supported by reportd-sfsim");
        break;
      }
    }
    if (is_keyword("GROUP")) return fail("MALFORMED_QUERY", peek(), "GROUP BY is not supported by reportd-sfsim");
    if (is_keyword("ORDER")) {
      next();
      if (!expect_keyword("BY")) return error_;
      for (;;) {
        const Token& t = next();
        if (t.kind != Token::Kind::kIdent) return malformed(t);
        OrderKey key;
        if (!resolve(*q.object, t, key.path)) return error_;
        if (is_keyword("ASC") || is_keyword("DESC")) key.desc = upper(next().text) == "DESC";
        if (is_keyword("NULLS")) {
          next();
          if (!is_keyword("FIRST") && !is_keyword("LAST")) return malformed(peek());
          key.nulls_last = upper(next().text) == "LAST";
        }
        q.order_by.push_back(std::move(key));
        if (peek().text != ",") break;
        next();
      }
    }
    if (is_keyword("LIMIT")) {
      next();
      std::uint64_t n = 0;
      if (!number(n)) return error_;
      q.limit = n;
    }
    if (is_keyword("OFFSET")) {
      next();
      if (!number(q.offset)) return error_;
    }
    if (peek().kind != Token::Kind::kEnd) return malformed(peek());
    return q;
  }

 private:
  bool tokenize() {
    size_t i = 0;
    while (i < text_.size()) {
      char c = text_[i];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
        continue;
      }
      Token t;
      t.pos = i;
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t j = i;
        while (j < text_.size() &&
               (std::isalnum(static_cast<unsigned char>(text_[j])) || text_[j] == '_' ||
                text_[j] == '.' || text_[j] == ':' || text_[j] == '-' || text_[j] == '+'))
          ++j;
        t.kind = Token::Kind::kIdent;
        t.text = std::string(text_.substr(i, j - i));
        // Date literals (2024-01-01, 2024-01-01T00:00:00Z) start with a digit,
        // so only identifiers reach here; keep '-', '+', ':' out of them.
        auto cut = t.text.find_first_of(":-+");
        if (cut != std::string::npos) {
          t.text.resize(cut);
          j = i + cut;
        }
        i = j;
      } else if (std::isdigit(static_cast<unsigned char>(c))) {
        size_t j = i;
        while (j < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[j])) ||
                                    text_[j] == '.' || text_[j] == '-' || text_[j] == ':' ||
                                    text_[j] == '+'))
          ++j;
        t.kind = Token::Kind::kNumber;
        t.text = std::string(text_.substr(i, j - i));
        i = j;
      } else if (c == '\'') {
        size_t j = i + 1;
        std::string s;
        bool closed = false;
        while (j < text_.size()) {
          if (text_[j] == '\\' && j + 1 < text_.size()) {
            char e = text_[j + 1];
            s += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
            j += 2;
          } else if (text_[j] == '\'') {
            closed = true;
            ++j;
            break;
          } else {
            s += text_[j++];
          }
        }
        if (!closed) {
          fail("MALFORMED_QUERY", t, "unterminated string literal");
          return false;
        }
        t.kind = Token::Kind::kString;
        t.text = s;
        i = j;
      } else {
        t.kind = Token::Kind::kPunct;
        if ((c == '!' || c == '<' || c == '>') && i + 1 < text_.size() && text_[i + 1] == '=') {
          t.text = std::string(text_.substr(i, 2));
          i += 2;
        } else {
          t.text = std::string(1, c);
          ++i;
        }
      }
      tokens_.push_back(std::move(t));
    }
    Token end;
    end.pos = text_.size();
    tokens_.push_back(end);
    return true;
  }

  const Token& peek(size_t ahead = 0) const {
    return tokens_[std::min(cur_ + ahead, tokens_.size() - 1)];
  }
  const Token& next() {
    const Token& t = peek();
    if (cur_ < tokens_.size() - 1) ++cur_;
    return t;
  }
  const Token& prev() const { return tokens_[cur_ == 0 ? 0 : cur_ - 1]; }
  bool is_keyword(const char* kw) const {
    return peek().kind == Token::Kind::kIdent && upper(peek().text) == kw;
  }
  bool expect_keyword(const char* kw) {
    if (!is_keyword(kw)) {
      malformed(peek());
      return false;
    }
    next();
    return true;
  }

  SoqlError fail(const char* code, const Token& at, const std::string& msg) {
    size_t row = 1, col = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < at.pos && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++row;
        col = 1;
        line_start = i + 1;
      } else {
        ++col;
      }
    }
    size_t line_end = text_.find('\n', line_start);
    std::string line(text_.substr(line_start, line_end == std::string_view::npos ? std::string_view::npos
                                                                                : line_end - line_start));
    error_.code = code;
    error_.message = "\n" + line + "\n" + std::string(col - 1, ' ') + "^\nERROR at Row:" +
                     std::to_string(row) + ":Column:" + std::to_string(col) + "\n" + msg;
    return error_;
  }
  SoqlError malformed(const Token& t) {
    return fail("MALFORMED_QUERY", t,
                t.kind == Token::Kind::kEnd ? "unexpected token: <EOF>" : "unexpected token: " + t.text);
  }

  bool number(std::uint64_t& out) {
    const Token& t = next();
    auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), out);
    if (t.kind != Token::Kind::kNumber || ec != std::errc() || p != t.text.data() + t.text.size()) {
      malformed(t);
      return false;
    }
    return true;
  }

  bool resolve(const ObjectDef& root, const Token& t, FieldPath& out) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (;;) {
      auto dot = t.text.find('.', start);
      parts.push_back(t.text.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    // A leading "Account." naming the FROM object itself is allowed.
    if (parts.size() > 1 && iequals(parts[0], root.name) && root.relationship(parts[0]) == nullptr)
      parts.erase(parts.begin());
    const ObjectDef* obj = &root;
    out.objects.push_back(obj);
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      const FieldDef* ref = obj->relationship(parts[i]);
      const ObjectDef* target = ref != nullptr ? find_object(ref->reference_to) : nullptr;
      if (target == nullptr) {
        fail("INVALID_FIELD", t,
             "Didn't understand relationship '" + parts[i] + "' in field path. If you are attempting "
             "to use a custom relationship, be sure to append the '__r' after the custom relationship "
             "name. Please reference your WSDL or the describe call for the appropriate names.");
        return false;
      }
      out.refs.push_back(ref);
      out.dotted += ref->relationship_name + ".";
      obj = target;
      out.objects.push_back(obj);
    }
    out.leaf = obj->field(parts.back());
    // A field hidden by field-level security looks exactly like one that
    // does not exist (salesforce-wire.md §2.7).
    if (out.leaf != nullptr && hidden_ != nullptr && *hidden_ && (*hidden_)(*obj, *out.leaf)) out.leaf = nullptr;
    if (out.leaf == nullptr) {
      fail("INVALID_FIELD", t,
           "No such column '" + parts.back() + "' on entity '" + obj->name +
               "'. If you are attempting to use a custom field, be sure to append the '__c' after "
               "the custom field name. Please reference your WSDL or the describe call for the "
               "appropriate names.");
      return false;
    }
    out.dotted += out.leaf->name;
    return true;
  }

  bool literal(Value& v) {
    const Token& t = next();
    if (t.kind == Token::Kind::kString) {
      v = Value::str(t.text);
      return true;
    }
    if (t.kind == Token::Kind::kNumber) {
      // 2024-01-01 and 2024-01-01T00:00:00Z are date literals, not numbers.
      bool date = t.text.find('-') != std::string::npos;
      v = date ? Value::str(t.text) : Value::num(t.text);
      return true;
    }
    std::string u = upper(t.text);
    if (t.kind == Token::Kind::kIdent && (u == "TRUE" || u == "FALSE")) {
      v = Value::boolean(u == "TRUE");
      return true;
    }
    if (t.kind == Token::Kind::kIdent && u == "NULL") {
      v = Value::null();
      return true;
    }
    malformed(t);
    return false;
  }

  bool condition(const ObjectDef& obj, Condition& c) {
    const Token& ft = next();
    if (ft.kind != Token::Kind::kIdent) {
      malformed(ft);
      return false;
    }
    if (!resolve(obj, ft, c.path)) return false;
    const Token& op = next();
    std::string u = upper(op.text);
    if (u == "NOT" && is_keyword("IN")) {
      next();
      u = "NOTIN";
    }
    if (u == "IN" || u == "NOTIN") {
      c.op = u;
      if (next().text != "(") {
        malformed(prev());
        return false;
      }
      for (;;) {
        Value v;
        if (!literal(v)) return false;
        c.values.push_back(std::move(v));
        const Token& sep = next();
        if (sep.text == ")") break;
        if (sep.text != ",") {
          malformed(sep);
          return false;
        }
      }
      return true;
    }
    if (u != "=" && u != "!=" && u != "<" && u != "<=" && u != ">" && u != ">=" && u != "LIKE") {
      malformed(op);
      return false;
    }
    c.op = u;
    Value v;
    if (!literal(v)) return false;
    c.values.push_back(std::move(v));
    return true;
  }

  std::string_view text_;
  const HiddenField* hidden_;  // null: every field visible
  std::vector<Token> tokens_;
  size_t cur_ = 0;
  SoqlError error_;
};

}  // namespace

std::variant<Query, SoqlError> parse_soql(std::string_view text) { return Parser(text, nullptr).run(); }

std::variant<Query, SoqlError> parse_soql(std::string_view text, const HiddenField& hidden) {
  return Parser(text, &hidden).run();
}

}  // namespace reportd::sim
