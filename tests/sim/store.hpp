// Records written by clients (ContentVersion, links, schedule records):
// the only data the simulator keeps. Generated objects are never stored.
// Thread-safe; every method locks.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "schema.hpp"
#include "value.hpp"

namespace reportd::sim {

using Fields = std::map<std::string, Value>;  // canonical field name -> value

class Store {
 public:
  /// Appends a record; assigns Id (prefix + index), CreatedDate,
  /// SystemModstamp and IsDeleted, and false to checkboxes it does not set
  /// (a Salesforce checkbox is never null). Returns the new id.
  std::string insert(const ObjectDef& obj, Fields fields);
  /// Overwrites the given fields and bumps SystemModstamp; false when the id
  /// is unknown.
  bool update(const ObjectDef& obj, const std::string& id, const Fields& fields);
  /// Soft delete, as the recycle bin does: IsDeleted becomes true and
  /// SystemModstamp moves; only queryAll still sees the record. False when
  /// the id is unknown or already deleted.
  bool remove(const ObjectDef& obj, const std::string& id);
  bool is_deleted(const ObjectDef& obj, std::uint64_t row) const;
  std::uint64_t size(const ObjectDef& obj) const;
  std::optional<std::uint64_t> index_of(const ObjectDef& obj, const std::string& id) const;
  Value get(const ObjectDef& obj, std::uint64_t row, const std::string& field) const;

  void put_blob(const std::string& id, std::string data);
  std::optional<std::string> blob(const std::string& id) const;
  /// Drops all written records (POST /__sim/reset).
  void clear();

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::vector<Fields>> rows_;  // object name -> records
  std::map<std::string, std::string> blobs_;         // ContentVersion id -> bytes
};

}  // namespace reportd::sim
