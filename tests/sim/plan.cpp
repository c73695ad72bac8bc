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

}  // namespace

Cursor plan_query(const Dataset& data, const Query& q, bool include_deleted) {
  Cursor c;
  c.query = q;
  c.include_deleted = include_deleted;
  c.end = data.rows(*q.object, include_deleted);
  for (const auto& cond : q.where) {
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
  if (c.filtered) {
    count = 0;
    for (std::uint64_t r = c.begin; r < c.end; ++r)
      if (row_matches(data, q, r)) ++count;
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
