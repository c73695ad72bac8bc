#include "dataset.hpp"

#include "ids.hpp"

namespace reportd::sim {

std::uint64_t Dataset::rows(const ObjectDef& obj, bool include_deleted) const {
  if (obj.source == Source::kStored) return store_.size(obj);
  return include_deleted ? all_rows(cfg_, obj) : live_rows(cfg_, obj);
}

Value Dataset::value(const ObjectDef& obj, std::uint64_t row, const FieldDef& f) const {
  if (obj.source == Source::kStored) return store_.get(obj, row, f.name);
  return generate(cfg_, obj, row, f);
}

std::optional<RowRef> Dataset::find(const std::string& id) const {
  const ObjectDef* obj = find_object_by_prefix(id);
  if (obj == nullptr) return std::nullopt;
  if (obj->source == Source::kStored) {
    auto idx = store_.index_of(*obj, id);
    if (!idx) return std::nullopt;
    return RowRef{obj, *idx};
  }
  auto row = id_row(obj->key_prefix, id);
  if (!row || *row >= all_rows(cfg_, *obj)) return std::nullopt;
  return RowRef{obj, *row};
}

std::optional<RowRef> Dataset::parent(const ObjectDef& obj, std::uint64_t row,
                                      const FieldDef& ref) const {
  Value id = value(obj, row, ref);
  if (id.kind != Value::Kind::kString) return std::nullopt;
  return find(id.text);
}

Value Dataset::path_value(const FieldPath& p, std::uint64_t row) const {
  RowRef cur{p.objects.front(), row};
  for (const FieldDef* ref : p.refs) {
    auto next = parent(*cur.object, cur.row, *ref);
    if (!next) return Value::null();
    cur = *next;
  }
  const FieldDef* leaf = cur.object->field(p.leaf->name);
  return leaf == nullptr ? Value::null() : value(*cur.object, cur.row, *leaf);
}

}  // namespace reportd::sim
