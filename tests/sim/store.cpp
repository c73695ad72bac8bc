#include "store.hpp"

#include <chrono>

#include "ids.hpp"

namespace reportd::sim {

std::string Store::insert(const ObjectDef& obj, Fields fields) {
  std::lock_guard lock(mu_);
  auto& rows = rows_[obj.name];
  std::string id = make_id(obj.key_prefix, rows.size() + 1);
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  fields["Id"] = Value::str(id);
  fields["IsDeleted"] = Value::boolean(false);
  fields["CreatedDate"] = Value::str(format_datetime(now));
  rows.push_back(std::move(fields));
  return id;
}

bool Store::update(const ObjectDef& obj, const std::string& id, const Fields& fields) {
  std::lock_guard lock(mu_);
  auto it = rows_.find(obj.name);
  auto row = id_row(obj.key_prefix, id);
  if (it == rows_.end() || !row || *row == 0 || *row > it->second.size()) return false;
  for (const auto& [k, v] : fields) it->second[*row - 1][k] = v;
  return true;
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
