#include "records.hpp"

#include <algorithm>

namespace reportd::sim {
namespace {

void attributes(std::string& out, const Dataset& data, const ObjectDef& obj, std::uint64_t row,
                const std::string& version) {
  Value id = data.value(obj, row, *obj.field("Id"));
  out += "{\"attributes\":{\"type\":";
  append_json_string(out, obj.name);
  out += ",\"url\":";
  append_json_string(out, "/services/data/v" + version + "/sobjects/" + obj.name + "/" + id.text);
  out += '}';
}

}  // namespace

void write_record(std::string& out, const Dataset& data, const std::vector<const FieldPath*>& fields,
                  const ObjectDef& obj, std::uint64_t row, const std::string& version, size_t depth) {
  attributes(out, data, obj, row, version);
  std::vector<const FieldDef*> done;
  for (const FieldPath* p : fields) {
    if (p->refs.size() == depth) {
      const FieldDef* f = obj.field(p->leaf->name);
      out += ",\"";
      out += p->leaf->name;
      out += "\":";
      append_json_value(out, f == nullptr ? Value::null() : data.value(obj, row, *f));
      continue;
    }
    const FieldDef* ref = p->refs[depth];
    if (std::find(done.begin(), done.end(), ref) != done.end()) continue;
    done.push_back(ref);
    std::vector<const FieldPath*> subset;
    for (const FieldPath* q : fields)
      if (q->refs.size() > depth && q->refs[depth] == ref) subset.push_back(q);
    out += ",\"";
    out += ref->relationship_name;
    out += "\":";
    const FieldDef* own = obj.field(ref->name);
    auto parent = own == nullptr ? std::nullopt : data.parent(obj, row, *own);
    if (!parent) {
      out += "null";
    } else {
      write_record(out, data, subset, *parent->object, parent->row, version, depth + 1);
    }
  }
  out += '}';
}

void write_full_record(std::string& out, const Dataset& data, const ObjectDef& obj,
                       std::uint64_t row, const std::string& version) {
  attributes(out, data, obj, row, version);
  for (const auto& f : obj.fields) {
    out += ",\"";
    out += f.name;
    out += "\":";
    Value v = data.value(obj, row, f);
    if (f.name == "VersionData" && obj.name == "ContentVersion") {
      Value id = data.value(obj, row, *obj.field("Id"));
      v = Value::str("/services/data/v" + version + "/sobjects/ContentVersion/" + id.text + "/VersionData");
    }
    append_json_value(out, v);
  }
  out += '}';
}

}  // namespace reportd::sim
