// A small SOQL subset: SELECT fields (dotted parent paths), COUNT() and
// COUNT(field), FROM one object, WHERE with AND-ed comparisons, ORDER BY
// (sorts stored objects; generated rows always come in Id order), LIMIT and
// OFFSET. Errors carry Salesforce's
// errorCode and caret-diagram message.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "schema.hpp"
#include "value.hpp"

namespace reportd::sim {

/// One selected column: the reference fields walked, then the leaf field.
struct FieldPath {
  std::vector<const FieldDef*> refs;      // e.g. {Contact.AccountId, Account.OwnerId}
  std::vector<const ObjectDef*> objects;  // object of each step, objects[0] = FROM object
  const FieldDef* leaf = nullptr;
  std::string dotted;                     // canonical, e.g. "Account.Owner.Name"
};

struct Condition {
  FieldPath path;
  std::string op;             // = != < <= > >= LIKE IN NOTIN
  std::vector<Value> values;  // literal(s); Value::null() for null
};

struct OrderKey {
  FieldPath path;
  bool desc = false;
  bool nulls_last = false;  // SOQL puts nulls first unless NULLS LAST
};

struct Query {
  const ObjectDef* object = nullptr;
  bool count_only = false;          // SELECT COUNT()
  bool aggregate_count = false;     // SELECT COUNT(field) [alias]
  std::string aggregate_alias;      // "expr0" unless aliased
  std::vector<FieldPath> fields;
  std::vector<Condition> where;     // all must hold
  std::vector<OrderKey> order_by;
  std::optional<std::uint64_t> limit;
  std::uint64_t offset = 0;
};

struct SoqlError {
  std::string code;     // MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE
  std::string message;  // with the caret diagram, as Salesforce sends it
};

std::variant<Query, SoqlError> parse_soql(std::string_view text);

/// Whether field-level security hides `field` of `object` from the caller.
using HiddenField = std::function<bool(const ObjectDef& object, const FieldDef& field)>;
/// As parse_soql(text), for a caller who cannot see the fields `hidden`
/// names: a query naming one fails with INVALID_FIELD "No such column",
/// exactly as if it did not exist (salesforce-wire.md §2.7).
std::variant<Query, SoqlError> parse_soql(std::string_view text, const HiddenField& hidden);

/// True when v satisfies the condition (SOQL semantics, null-aware).
bool matches(const Condition& c, const Value& v);

/// -1, 0 or 1: numbers by value, booleans false < true, text (and ISO dates,
/// datetimes to the second) by bytes. Both must be non-null.
int compare_values(const Value& a, const Value& b);

}  // namespace reportd::sim
