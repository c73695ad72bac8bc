#include "users.hpp"

#include "http_util.hpp"
#include "ids.hpp"

namespace reportd::sim {
namespace json = boost::json;

std::string_view to_string(SimUser::State s) {
  switch (s) {
    case SimUser::State::kFrozen: return "frozen";
    case SimUser::State::kInactive: return "inactive";
    case SimUser::State::kActive: break;
  }
  return "active";
}

Users::Users(const GenConfig& cfg) {
  const ObjectDef* user = find_object("User");
  for (std::uint64_t row = 0; row < kUsers; ++row) {
    SimUser u;
    u.row = row;
    u.id = make_id("005", row);
    u.username = generate(cfg, *user, row, *user->field("Username")).text;
    u.view_all = row == 0;
    if (!generate(cfg, *user, row, *user->field("IsActive")).flag) u.state = SimUser::State::kInactive;
    users_.push_back(std::move(u));
  }
}

std::optional<SimUser> Users::by_username(std::string_view username) const {
  std::lock_guard lock(mu_);
  for (const SimUser& u : users_)
    if (u.username == username) return u;
  return std::nullopt;
}

SimUser Users::by_row(std::uint64_t row) const {
  std::lock_guard lock(mu_);
  return users_.at(row);
}

bool Users::update(const json::object& o, std::string& err) {
  const json::value* name = o.if_contains("username");
  if (name == nullptr || !name->is_string()) {
    err = "\"username\" is required";
    return false;
  }
  const std::string wanted(name->as_string());
  std::lock_guard lock(mu_);
  SimUser* u = nullptr;
  for (SimUser& x : users_)
    if (x.username == wanted) u = &x;
  if (u == nullptr) {
    err = "no user " + wanted;
    return false;
  }
  SimUser next = *u;
  for (const auto& [k, v] : o) {
    if (k == "username") continue;
    bool* flag = k == "preauthorized" ? &next.preauthorized
                 : k == "api_enabled" ? &next.api_enabled
                 : k == "view_all"    ? &next.view_all
                                      : nullptr;
    if (flag != nullptr && v.is_bool()) {
      *flag = v.as_bool();
    } else if (k == "hidden_fields" && v.is_array()) {
      next.hidden_fields.clear();
      for (const json::value& f : v.as_array()) {
        if (!f.is_string() || std::string_view(f.as_string()).find('.') == std::string_view::npos) {
          err = "hidden_fields takes \"Object.Field\" names";
          return false;
        }
        next.hidden_fields.emplace_back(f.as_string());
      }
    } else if (k == "state" && v.is_string() && v.as_string() == "active") {
      next.state = SimUser::State::kActive;
    } else if (k == "state" && v.is_string() && v.as_string() == "frozen") {
      next.state = SimUser::State::kFrozen;
    } else if (k == "state" && v.is_string() && v.as_string() == "inactive") {
      next.state = SimUser::State::kInactive;
    } else {
      err = "bad or unknown user setting '" + std::string(k) + "'";
      return false;
    }
  }
  *u = next;
  return true;
}

std::string Users::json() const {
  std::lock_guard lock(mu_);
  std::string out = "[";
  for (const SimUser& u : users_) {
    out += (u.row ? "," : "") + std::string("{\"id\":") + jstr(u.id) +
           ",\"username\":" + jstr(u.username) + ",\"state\":" + jstr(std::string(to_string(u.state))) +
           ",\"preauthorized\":" + (u.preauthorized ? "true" : "false") +
           ",\"api_enabled\":" + (u.api_enabled ? "true" : "false") +
           ",\"view_all\":" + (u.view_all ? "true" : "false") + ",\"hidden_fields\":[";
    for (std::size_t i = 0; i < u.hidden_fields.size(); ++i) out += (i ? "," : "") + jstr(u.hidden_fields[i]);
    out += "]}";
  }
  return out + "]";
}

bool SimUser::hides(const ObjectDef& object, const FieldDef& field) const {
  for (const std::string& h : hidden_fields)
    if (h == object.name + "." + field.name) return true;
  return false;
}

std::variant<Query, SoqlError> parse_soql_as(std::string_view text, const SimUser& user) {
  if (user.hidden_fields.empty()) return parse_soql(text);
  HiddenField hidden = [&user](const ObjectDef& o, const FieldDef& f) { return user.hides(o, f); };
  return parse_soql(text, hidden);
}

bool apply_sharing(Query& q, const SimUser& user) {
  const std::string& name = q.object->name;
  if (user.view_all || (name != "Account" && name != "Contact" && name != "Opportunity")) return false;
  Condition mine;
  mine.path.objects.push_back(q.object);
  mine.path.leaf = q.object->field("OwnerId");
  mine.path.dotted = "OwnerId";
  mine.op = "=";
  mine.values.push_back(Value::str(user.id));
  q.where.push_back(std::move(mine));
  return true;
}

}  // namespace reportd::sim
