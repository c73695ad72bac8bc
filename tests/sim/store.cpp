#include "store.hpp"

#include <chrono>

#include "ids.hpp"

namespace reportd::sim {

namespace {

// Salesforce keeps SystemModstamp to the second (".000").
std::string now_stamp() {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  return format_datetime(now);
}

}  // namespace

std::string Store::insert(const ObjectDef& obj, Fields fields) {
  std::lock_guard lock(mu_);
  auto& rows = rows_[obj.name];
  std::string id = make_id(obj.key_prefix, rows.size() + 1);
  std::string now = now_stamp();
  for (const auto& f : obj.fields) {
    if (f.type == FieldType::kBoolean && fields.count(f.name) == 0) fields[f.name] = Value::boolean(false);
  }
  fields["Id"] = Value::str(id);
  fields["IsDeleted"] = Value::boolean(false);
  fields["CreatedDate"] = Value::str(now);
  fields["SystemModstamp"] = Value::str(now);
  rows.push_back(std::move(fields));
  return id;
}

bool Store::update(const ObjectDef& obj, const std::string& id, const Fields& fields) {
  std::lock_guard lock(mu_);
  auto it = rows_.find(obj.name);
  auto row = id_row(obj.key_prefix, id);
  if (it == rows_.end() || !row || *row == 0 || *row > it->second.size()) return false;
  for (const auto& [k, v] : fields) it->second[*row - 1][k] = v;
  it->second[*row - 1]["SystemModstamp"] = Value::str(now_stamp());
  return true;
}

bool Store::remove(const ObjectDef& obj, const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = rows_.find(obj.name);
  auto row = id_row(obj.key_prefix, id);
  if (it == rows_.end() || !row || *row == 0 || *row > it->second.size()) return false;
  Fields& r = it->second[*row - 1];
  if (r["IsDeleted"].flag) return false;
  r["IsDeleted"] = Value::boolean(true);
  r["SystemModstamp"] = Value::str(now_stamp());
  return true;
}

bool Store::is_deleted(const ObjectDef& obj, std::uint64_t row) const {
  std::lock_guard lock(mu_);
  auto it = rows_.find(obj.name);
  if (it == rows_.end() || row >= it->second.size()) return false;
  auto f = it->second[row].find("IsDeleted");
  return f != it->second[row].end() && f->second.flag;
}

std::uint64_t Store::size(const ObjectDef& obj) const {
  std::lock_guard lock(mu_);
  auto it = rows_.find(obj.name);
  return it == rows_.end() ? 0 : it->second.size();
}

std::optional<std::uint64_t> Store::index_of(const ObjectDef& obj, const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = rows_.find(obj.name);
  auto row = id_row(obj.key_prefix, id);
  if (it == rows_.end() || !row || *row == 0 || *row > it->second.size()) return std::nullopt;
  return *row - 1;
}

Value Store::get(const ObjectDef& obj, std::uint64_t row, const std::string& field) const {
  std::lock_guard lock(mu_);
  auto it = rows_.find(obj.name);
  if (it == rows_.end() || row >= it->second.size()) return Value::null();
  auto f = it->second[row].find(field);
  return f == it->second[row].end() ? Value::null() : f->second;
}

void Store::put_blob(const std::string& id, std::string data) {
  std::lock_guard lock(mu_);
  blobs_[id] = std::move(data);
}

std::optional<std::string> Store::blob(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = blobs_.find(id);
  if (it == blobs_.end()) return std::nullopt;
  return it->second;
}

void Store::clear() {
  std::lock_guard lock(mu_);
  rows_.clear();
  blobs_.clear();
}

}  // namespace reportd::sim
