// The org's users as the JWT bearer grant, the API gate and the sharing
// model see them: one per generated User row (generator.hpp), with state a
// test changes through POST /__sim/users. Row 0 is the integration user, an
// admin with View All Data. Thread-safe; every method locks.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "generator.hpp"
#include "soql.hpp"

namespace reportd::sim {

struct SimUser {
  enum class State { kActive, kFrozen, kInactive };
  std::uint64_t row = 0;
  std::string id;        // 005…, what OwnerId holds
  std::string username;  // what the JWT's `sub` names
  State state = State::kActive;
  bool preauthorized = true;  // admin-approved for the connected app
  bool api_enabled = true;    // the "API Enabled" permission
  bool view_all = false;      // "View All Data": sees every record
  // "Object.Field" entries field-level security hides from this user: SOQL
  // (REST and Bulk) naming one fails as if the field did not exist.
  std::vector<std::string> hidden_fields;
  bool hides(const ObjectDef& object, const FieldDef& field) const;
};

std::string_view to_string(SimUser::State s);

class Users {
 public:
  /// From the generated rows: row 0 is the admin, row 6 (IsActive false) inactive.
  explicit Users(const GenConfig& cfg);

  std::optional<SimUser> by_username(std::string_view username) const;
  SimUser by_row(std::uint64_t row) const;  // row must exist
  /// Applies {"username": U, "state": "active|frozen|inactive",
  /// "preauthorized": b, "api_enabled": b, "view_all": b, "hidden_fields":
  /// ["Account.Description", ...]} (all but username optional); false with
  /// `err` on an unknown user, key or value.
  bool update(const boost::json::object& o, std::string& err);
  std::string json() const;

 private:
  mutable std::mutex mu_;
  std::vector<SimUser> users_;
};

/// The private sharing model: Account, Contact and Opportunity show a user
/// only the records they own, unless they have View All Data. Adds the
/// condition OwnerId = the user's id to `q` where it applies; returns
/// whether it did.
bool apply_sharing(Query& q, const SimUser& user);

/// parse_soql() as `user` sees the schema (field-level security).
std::variant<Query, SoqlError> parse_soql_as(std::string_view text, const SimUser& user);

}  // namespace reportd::sim
