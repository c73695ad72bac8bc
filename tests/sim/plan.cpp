#include "plan.hpp"

#include <algorithm>
#include <cstdint>

namespace reportd::sim {
namespace {

bool row_matches(const Dataset& data, const Query& q, std::uint64_t row) {
  for (const auto& cond : q.where)
    if (!matches(cond, data.path_value(cond.path, row))) return false;
  return true;
}

// Sorts rows by the query's ORDER BY keys; ties keep Id order.
void sort_rows(const Dataset& data, const Query& q, std::vector<std::uint64_t>& rows) {
  std::stable_sort(rows.begin(), rows.end(), [&](std::uint64_t a, std::uint64_t b) {
    for (const OrderKey& k : q.order_by) {
      Value x = data.path_value(k.path, a), y = data.path_value(k.path, b);
      if (x.is_null() || y.is_null()) {
        if (x.is_null() == y.is_null()) continue;
        return x.is_null() != k.nulls_last;
      }
      int r = compare_values(x, y);
      if (r != 0) return k.desc ? r > 0 : r < 0;
    }
    return false;
  });
}

}  // namespace

Cursor plan_query(const Dataset& data, const Query& q, bool include_deleted) {
  Cursor c;
  c.query = q;
  c.include_deleted = include_deleted;
  c.end = data.rows(*q.object, include_deleted);
  if (q.object->source == Source::kStored && !include_deleted) {
    // Deleted records stay in the store (queryAll sees them); query does not.
    Condition live;
    live.path.objects.push_back(q.object);
    live.path.leaf = q.object->field("IsDeleted");
    live.path.dotted = "IsDeleted";
    live.op = "=";
    live.values.push_back(Value::boolean(false));
    c.query.where.push_back(std::move(live));
  }
  const Query& qq = c.query;
  for (const auto& cond : qq.where) {
    const bool top = cond.path.refs.empty();
    const Value& lit = cond.values.front();
    if (top && cond.path.leaf->name == "Id" && cond.op == "=" && lit.kind == Value::Kind::kString) {
      auto r = data.find(lit.text);
      if (r && r->object == q.object) {
        c.begin = std::max(c.begin, r->row);
        c.end = std::min(c.end, r->row + 1);
      } else {
        c.end = c.begin;
      }
    } else if (top && cond.path.leaf->name == "IsDeleted" && cond.op == "=" &&
               lit.kind == Value::Kind::kBool && q.object->source == Source::kGenerated) {
      std::uint64_t live = data.rows(*q.object, false);
      if (lit.flag) c.begin = std::max(c.begin, live);
      else c.end = std::min(c.end, live);
    } else {
      c.filtered = true;
    }
  }
  c.end = std::max(c.end, c.begin);
  std::uint64_t count = c.end - c.begin;
  if (q.object->source == Source::kStored && !q.order_by.empty()) {
    for (std::uint64_t r = c.begin; r < c.end; ++r)
      if (!c.filtered || row_matches(data, qq, r)) c.order.push_back(r);
    sort_rows(data, qq, c.order);
    c.ordered = true;
    count = c.order.size();
  } else if (c.filtered) {
    count = 0;
    for (std::uint64_t r = c.begin; r < c.end; ++r)
      if (row_matches(data, qq, r)) ++count;
  }
  count = count > q.offset ? count - q.offset : 0;
  if (q.limit) count = std::min(count, *q.limit);
  c.total = count;
  // The start of the range is a valid resume point only without OFFSET.
  c.hint_offset = q.offset == 0 ? 0 : UINT64_MAX;
  c.hint_row = c.begin;
  return c;
}

std::uint64_t scan_rows(const Dataset& data, Cursor& c, std::uint64_t offset, std::uint64_t n,
                        const std::function<void(std::uint64_t)>& fn) {
  if (offset >= c.total) return 0;
  n = std::min(n, c.total - offset);
  const std::uint64_t logical = c.query.offset + offset;
  if (c.ordered) {
    for (std::uint64_t i = 0; i < n; ++i) fn(c.order[logical + i]);
    return n;
  }
  if (!c.filtered) {
    for (std::uint64_t i = 0; i < n; ++i) fn(c.begin + logical + i);
    return n;
  }
  // Filtered: find the logical-th match, from the hint when it lines up.
  std::uint64_t row = c.begin, seen = 0;
  if (c.hint_offset == offset && c.hint_row >= c.begin) {
    row = c.hint_row;
    seen = logical;
  }
  std::uint64_t produced = 0;
  for (; row < c.end && produced < n; ++row) {
    if (!row_matches(data, c.query, row)) continue;
    if (seen++ < logical) continue;
    fn(row);
    ++produced;
  }
  c.hint_offset = offset + produced;
  c.hint_row = row;
  return produced;
}

}  // namespace reportd::sim
