// The simulated org's schema: which objects exist, their fields and types.
// Immutable; describe, SOQL validation and the generator all read it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace reportd::sim {

enum class FieldType {
  kId, kString, kTextarea, kPicklist, kEmail, kPhone, kUrl,
  kCurrency, kDouble, kPercent, kInt, kBoolean, kDate, kDatetime, kReference,
  kMultiPicklist,  // values joined by ';' ("CSV;XLSX")
};

struct FieldDef {
  std::string name;
  std::string label;
  FieldType type = FieldType::kString;
  bool nillable = true;
  bool writable = false;          // createable/updateable through the REST API
  std::string reference_to;       // for kReference: target object
  std::string relationship_name;  // for kReference: e.g. "Account" for AccountId
  int length = 0;                 // text: most characters a write may set; 0: the type's default
};

/// Where an object's rows come from.
enum class Source {
  kGenerated,  // computed from the row index, never stored
  kStored,     // records written by clients, kept in memory
};

struct ObjectDef {
  std::string name;
  std::string label;
  std::string label_plural;
  std::string key_prefix;
  Source source = Source::kGenerated;
  bool custom = false;
  std::vector<FieldDef> fields;

  /// Case-insensitive field lookup, nullptr when absent.
  const FieldDef* field(std::string_view name) const;
  /// The reference field whose relationship_name matches (case-insensitive).
  const FieldDef* relationship(std::string_view name) const;
};

/// All objects, in a stable order.
const std::vector<ObjectDef>& schema();

/// Case-insensitive object lookup, nullptr when absent.
const ObjectDef* find_object(std::string_view name);

/// Object whose ids start with prefix, nullptr when none.
const ObjectDef* find_object_by_prefix(std::string_view id);

bool iequals(std::string_view a, std::string_view b);

/// Most characters a text field holds (describe "length"; writes beyond it
/// answer STRING_TOO_LONG), 0 for non-text fields.
int max_length(const FieldDef& f);

/// Describe metadata of a type: "string", "tns:ID"/"xsd:string", ...
const char* type_name(FieldType t);
const char* soap_type(FieldType t);
bool is_text(FieldType t);

}  // namespace reportd::sim
