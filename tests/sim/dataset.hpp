// One read view over the org's rows: generated objects from the generator,
// written objects from the Store. Walks parent references for dotted paths.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "generator.hpp"
#include "soql.hpp"
#include "store.hpp"

namespace reportd::sim {

struct RowRef {
  const ObjectDef* object = nullptr;
  std::uint64_t row = 0;
};

class Dataset {
 public:
  Dataset(GenConfig cfg, Store& store) : cfg_(std::move(cfg)), store_(store) {}

  const GenConfig& config() const { return cfg_; }
  Store& store() const { return store_; }

  /// Rows `query` (include_deleted=false) or `queryAll` sees.
  std::uint64_t rows(const ObjectDef& obj, bool include_deleted) const;
  Value value(const ObjectDef& obj, std::uint64_t row, const FieldDef& f) const;
  /// The row an id names, if it exists.
  std::optional<RowRef> find(const std::string& id) const;
  /// The parent row a reference field points at; nullopt for a null parent.
  std::optional<RowRef> parent(const ObjectDef& obj, std::uint64_t row, const FieldDef& ref) const;
  /// Value of a dotted path; null when any parent on the way is null.
  Value path_value(const FieldPath& p, std::uint64_t row) const;

 private:
  GenConfig cfg_;
  Store& store_;
};

}  // namespace reportd::sim
