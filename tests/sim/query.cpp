// REST query and queryAll with cursors: pages are generated from
// (cursor, offset) on demand; the locator "<cursorId>-<offset>" is
// accepted under /query/ and /queryAll/.
#include <charconv>

#include "http_util.hpp"
#include "ids.hpp"
#include "records.hpp"
#include "sim.hpp"

namespace reportd::sim {
namespace {

constexpr size_t kMaxCursors = 20000;

std::uint64_t page_size(const httplib::Request& req, std::uint64_t configured) {
  std::string opt = req.get_header_value("Sforce-Query-Options");
  auto pos = opt.find("batchSize=");
  if (pos == std::string::npos) return configured;
  std::uint64_t n = 0;
  const char* b = opt.data() + pos + 10;
  std::from_chars(b, opt.data() + opt.size(), n);
  n = std::clamp<std::uint64_t>(n, 200, 2000);
  return std::min(n, configured);
}

const char* apex_type(FieldType t) {
  switch (t) {
    case FieldType::kId:
    case FieldType::kReference: return "Id";
    case FieldType::kCurrency:
    case FieldType::kDouble:
    case FieldType::kPercent: return "Double";
    case FieldType::kInt: return "Integer";
    case FieldType::kBoolean: return "Boolean";
    case FieldType::kDate: return "Date";
    case FieldType::kDatetime: return "Datetime";
    default: return "String";
  }
}

std::string column(const FieldDef& f, const std::string& display) {
  bool num = f.type == FieldType::kCurrency || f.type == FieldType::kDouble ||
             f.type == FieldType::kPercent || f.type == FieldType::kInt;
  return "{\"aggregate\":false,\"apexType\":" + jstr(apex_type(f.type)) +
         ",\"booleanType\":" + (f.type == FieldType::kBoolean ? "true" : "false") +
         ",\"columnName\":" + jstr(f.name) + ",\"custom\":false,\"displayName\":" + jstr(display) +
         ",\"foreignKeyName\":null,\"insertable\":" + (f.writable ? "true" : "false") +
         ",\"joinColumns\":[],\"numberType\":" + (num ? "true" : "false") +
         ",\"textType\":" + (is_text(f.type) ? "true" : "false") +
         ",\"updatable\":" + (f.writable ? "true" : "false") + "}";
}

// sf CLI asks for ?columns=true to lay out its table.
std::string columns_json(const Query& q) {
  std::string out = "{\"columnMetadata\":[";
  bool first = true;
  std::vector<std::string> rels;
  for (const auto& p : q.fields) {
    if (p.refs.empty()) {
      out += (first ? "" : ",") + column(*p.leaf, p.leaf->name);
      first = false;
      continue;
    }
    const std::string& rel = p.refs[0]->relationship_name;
    if (std::find(rels.begin(), rels.end(), rel) != rels.end()) continue;
    rels.push_back(rel);
    std::string joins;
    for (const auto& j : q.fields)
      if (!j.refs.empty() && j.refs[0]->relationship_name == rel)
        joins += (joins.empty() ? "" : ",") + column(*j.leaf, j.dotted);
    out += std::string(first ? "" : ",") +
           "{\"aggregate\":false,\"apexType\":null,\"booleanType\":false,\"columnName\":" + jstr(rel) +
           ",\"custom\":false,\"displayName\":" + jstr(rel) +
           ",\"foreignKeyName\":null,\"insertable\":false,\"joinColumns\":[" + joins +
           "],\"numberType\":false,\"textType\":false,\"updatable\":false}";
    first = false;
  }
  out += "],\"entityName\":" + jstr(q.object->name) + ",\"groupBy\":false,\"idSelected\":" +
         (q.fields.size() > 0 && q.fields[0].dotted == "Id" ? "true" : "false") +
         ",\"keyPrefix\":" + jstr(q.object->key_prefix) + "}";
  return out;
}

}  // namespace

void Sim::write_page(httplib::Response& res, const httplib::Request& req, const Caller& c,
                     const std::string& cursor_id, Cursor cur, std::uint64_t offset) {
  std::string out = "{\"totalSize\":" + std::to_string(cur.total);
  std::vector<const FieldPath*> fields;
  for (const auto& f : cur.query.fields) fields.push_back(&f);
  std::string records;
  records.reserve(static_cast<size_t>(std::min<std::uint64_t>(cur.page_size, cur.total)) * 300);
  bool first = true;
  std::uint64_t n = scan_rows(data_, cur, offset, cur.page_size, [&](std::uint64_t row) {
    if (!first) records += ',';
    first = false;
    write_record(records, data_, fields, *cur.query.object, row, c.version);
  });
  std::uint64_t next = offset + n;
  bool done = next >= cur.total;
  bool loop = false;
  if (!done) {
    std::lock_guard lock(mu_);
    loop = faults_.loop_locator;
  }
  if (loop) {
    count("fault.loop_locator");
    next = cur.page_size;  // the second page, again and again
  }
  out += done ? ",\"done\":true" : ",\"done\":false";
  if (!done) {
    out += ",\"nextRecordsUrl\":" +
           jstr("/services/data/v" + c.version + "/query/" + cursor_id + "-" + std::to_string(next));
    std::lock_guard lock(mu_);
    if (auto it = cursors_.find(cursor_id); it != cursors_.end()) {
      it->second.hint_offset = cur.hint_offset;
      it->second.hint_row = cur.hint_row;
    }
  }
  out += ",\"records\":[";
  out += records;
  out += "]}";
  send_json(req, res, 200, std::move(out));
}

void Sim::run_query(const httplib::Request& req, httplib::Response& res, const Caller& c, bool all) {
  if (!req.has_param("q") && !req.has_param("explain"))
    return send_error(req, res, 400, "MALFORMED_QUERY", "A query string has to be specified");
  std::string text = req.has_param("q") ? req.get_param_value("q") : req.get_param_value("explain");
  const SimUser user = seen_by(c.user);
  auto parsed = parse_soql_as(text, user);
  if (auto* err = std::get_if<SoqlError>(&parsed)) {
    count("query.error." + err->code);
    return send_error(req, res, 400, err->code, err->message);
  }
  Query q = std::get<Query>(std::move(parsed));
  if (apply_sharing(q, user)) count("query.shared_only");
  if (req.get_param_value("columns") == "true") {
    count("query.columns");
    return send_json(req, res, 200, columns_json(q));
  }
  Cursor cur = plan_query(data_, q, all);
  if (q.count_only) {
    return send_json(req, res, 200,
                     "{\"totalSize\":" + std::to_string(cur.total) + ",\"done\":true,\"records\":[]}");
  }
  if (q.aggregate_count) {
    return send_json(req, res, 200,
                     "{\"totalSize\":1,\"done\":true,\"records\":[{\"attributes\":{\"type\":"
                     "\"AggregateResult\"}," + jstr(q.aggregate_alias) + ":" +
                         std::to_string(cur.total) + "}]}");
  }
  cur.page_size = page_size(req, opts_.page_size);
  std::string id;
  if (cur.total > cur.page_size) {
    std::lock_guard lock(mu_);
    id = make_id("01g", ++serial_);
    if (cursors_.size() >= kMaxCursors) cursors_.erase(cursors_.begin());
    cursors_[id] = cur;
  }
  write_page(res, req, c, id, std::move(cur), 0);
}

void Sim::query_more(const httplib::Request& req, httplib::Response& res, const Caller& c) {
  std::string locator = req.matches[2].str();
  auto dash = locator.rfind('-');
  std::string id = locator.substr(0, dash);
  std::uint64_t offset = 0;
  auto [p, ec] = std::from_chars(locator.data() + dash + 1, locator.data() + locator.size(), offset);
  Cursor cur;
  bool ok = ec == std::errc() && p == locator.data() + locator.size();
  {
    std::lock_guard lock(mu_);
    auto it = cursors_.find(id);
    ok = ok && !faults_.invalid_locator && it != cursors_.end() && offset < it->second.total;
    if (ok) cur = it->second;
  }
  if (!ok) {
    count("fault.invalid_locator");
    return send_error(req, res, 400, "INVALID_QUERY_LOCATOR", "invalid query locator");
  }
  std::uint64_t batch = page_size(req, opts_.page_size);
  if (req.has_header("Sforce-Query-Options")) cur.page_size = batch;
  write_page(res, req, c, id, std::move(cur), offset);
}

void Sim::install_query(httplib::Server& svr) {
  const std::string v = R"(/services/data/v(\d+\.\d+))";
  api(svr, "GET", v + "/query/?", "query",
      [this](const httplib::Request& req, httplib::Response& res, const Caller& c) {
        run_query(req, res, c, false);
      });
  api(svr, "GET", v + "/queryAll/?", "queryAll",
      [this](const httplib::Request& req, httplib::Response& res, const Caller& c) {
        run_query(req, res, c, true);
      });
  api(svr, "GET", v + "/query(?:All)?/([0-9A-Za-z]+-[0-9]+)", "query.more",
      [this](const httplib::Request& req, httplib::Response& res, const Caller& c) {
        query_more(req, res, c);
      });
}

}  // namespace reportd::sim
