#pragma once
// Derives a query's columns from its SOQL select list, so columns come in
// SELECT order whatever the first records hold (null parents included).
// Pure functions; no executor.

#include <string>
#include <string_view>
#include <vector>

#include "table/status.hpp"

namespace reportd::salesforce {

struct SelectField {
  std::string name;               // column name as written: "Owner.Name", "expr0", "cnt"
  std::vector<std::string> path;  // JSON keys in a record: {"Owner", "Name"}
};

// Parses "SELECT a, b.c, toLabel(d), COUNT(e) n, (SELECT ...) FROM ...".
// Child subqueries are skipped (they are not columns). FIELDS(...), TYPEOF
// and a select list that yields no column fail with kPermanent.
Result<std::vector<SelectField>> parse_select_list(std::string_view soql);

// The object after the top-level FROM ("Account"), for table names.
std::string from_object(std::string_view soql);

}  // namespace reportd::salesforce
