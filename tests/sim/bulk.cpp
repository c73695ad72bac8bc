// Bulk API 2.0 query jobs: create, poll (UploadComplete -> InProgress ->
// JobComplete over two polls), CSV results streamed by locator without
// materialising the result set, abort, delete, list.
#include <boost/json.hpp>
#include <chrono>
#include <memory>

#include "http_util.hpp"
#include "ids.hpp"
#include "sim.hpp"

namespace reportd::sim {

// The job's query as its creator may see it (users.hpp: the sharing model).
Query Sim::job_query(const BulkJob& j) const {
  Query q = std::get<Query>(parse_soql(j.soql));
  apply_sharing(q, users_.by_row(j.user));
  return q;
}

namespace {

namespace json = boost::json;

constexpr std::uint64_t kDefaultChunk = 100000;
constexpr std::uint64_t kRowsPerWrite = 500;

std::string delimiter_of(const std::string& name) {
  if (name == "TAB") return "\t";
  if (name == "PIPE") return "|";
  if (name == "SEMICOLON") return ";";
  if (name == "CARET") return "^";
  if (name == "BACKQUOTE") return "`";
  if (name == "COMMA") return ",";
  return "";
}

std::string csv_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csv_value(const Value& v, const FieldDef& f) {
  switch (v.kind) {
    case Value::Kind::kNull: return "\"\"";
    case Value::Kind::kBool: return v.flag ? "\"true\"" : "\"false\"";
    case Value::Kind::kNumber: return csv_quote(v.text);
    case Value::Kind::kString:
      if (f.type == FieldType::kDatetime && v.text.size() >= 19) return csv_quote(v.text.substr(0, 23) + "Z");
      return csv_quote(v.text);
  }
  return "\"\"";
}

std::string job_json(const BulkJob& j, const std::string& user, bool full, std::uint64_t processed) {
  std::string out = "{\"id\":" + jstr(j.id) + ",\"operation\":" + jstr(j.operation) +
                    ",\"object\":" + jstr(j.object) + ",\"createdById\":" + jstr(user) +
                    ",\"createdDate\":" + jstr(j.created) + ",\"systemModstamp\":" + jstr(j.created) +
                    ",\"state\":" + jstr(j.state) +
                    ",\"concurrencyMode\":\"Parallel\",\"contentType\":\"CSV\",\"apiVersion\":" + j.version +
                    ",\"lineEnding\":" + jstr(j.line_ending) + ",\"columnDelimiter\":" + jstr(j.column_delimiter);
  if (full) {
    out += ",\"jobType\":\"V2Query\",\"numberRecordsProcessed\":" + std::to_string(processed) +
           ",\"retries\":0,\"totalProcessingTime\":" + std::to_string(j.state == "JobComplete" ? 42 : 0) +
           ",\"isPkChunkingSupported\":true";
  }
  return out + "}";
}

}  // namespace

void Sim::install_bulk(httplib::Server& svr) {
  const std::string v = R"(/services/data/v(\d+\.\d+)/jobs/query)";
  api(svr, "POST", v + "/?", "bulk.create",
      [this](const httplib::Request& req, httplib::Response& res, const Caller& c) {
        boost::system::error_code ec;
        json::value body = json::parse(req.body, ec);
        if (ec || !body.is_object())
          return send_error(req, res, 400, "JSON_PARSER_ERROR", "Unexpected character in request body");
        const auto& o = body.as_object();
        auto str = [&](const char* k, const char* dflt) {
          auto* x = o.if_contains(k);
          return x != nullptr && x->is_string() ? std::string(x->as_string()) : std::string(dflt);
        };
        BulkJob j;
        j.operation = str("operation", "");
        j.soql = str("query", "");
        j.column_delimiter = str("columnDelimiter", "COMMA");
        j.line_ending = str("lineEnding", "LF");
        j.delimiter = delimiter_of(j.column_delimiter);
        if (j.operation != "query" && j.operation != "queryAll")
          return send_error(req, res, 400, "INVALIDJOB", "InvalidJob : Invalid operation: " + j.operation);
        if (j.delimiter.empty() || (j.line_ending != "LF" && j.line_ending != "CRLF"))
          return send_error(req, res, 400, "INVALIDJOB", "InvalidJob : invalid columnDelimiter or lineEnding");
        auto parsed = parse_soql_as(j.soql, seen_by(c.user));
        if (auto* err = std::get_if<SoqlError>(&parsed)) return send_error(req, res, 400, err->code, err->message);
        const Query& q = std::get<Query>(parsed);
        if (q.count_only || q.aggregate_count)
          return send_error(req, res, 400, "INVALIDJOB", "InvalidJob : Aggregate queries are not supported");
        j.object = q.object->name;
        j.version = c.version;
        j.user = c.user;
        auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
        j.created = format_datetime(now);
        {
          std::lock_guard lock(mu_);
          j.id = make_id("750", ++serial_);
          jobs_[j.id] = j;
        }
        send_json(req, res, 200, job_json(j, org_.user_id, false, 0));
      });
  api(svr, "GET", v + "/?", "bulk.list",
      [this](const httplib::Request& req, httplib::Response& res, const Caller&) {
        std::lock_guard lock(mu_);
        std::string out = "{\"done\":true,\"records\":[";
        bool first = true;
        for (const auto& [id, j] : jobs_) {
          out += (first ? "" : ",") + job_json(j, org_.user_id, false, 0);
          first = false;
        }
        send_json(req, res, 200, out + "],\"nextRecordsUrl\":null}");
      });
  api(svr, "GET", v + "/(750[0-9A-Za-z]{12,15})/?", "bulk.poll",
      [this](const httplib::Request& req, httplib::Response& res, const Caller&) {
        BulkJob j;
        {
          std::lock_guard lock(mu_);
          auto it = jobs_.find(req.matches[2].str());
          if (it == jobs_.end()) return send_error(req, res, 404, "NOT_FOUND", "The requested resource does not exist");
          BulkJob& job = it->second;
          if (job.state == "UploadComplete" || job.state == "InProgress") {
            ++job.polls;
            job.state = job.polls >= 2 ? "JobComplete" : "InProgress";
          }
          j = job;
        }
        std::uint64_t processed = 0;
        if (j.state == "JobComplete") {
          Cursor cur = plan_query(data_, job_query(j), j.operation == "queryAll");
          processed = cur.total;
        }
        send_json(req, res, 200, job_json(j, org_.user_id, true, processed));
      });
  ApiHandler change = [this](const httplib::Request& req, httplib::Response& res, const Caller&) {
    std::lock_guard lock(mu_);
    auto it = jobs_.find(req.matches[2].str());
    if (it == jobs_.end()) return send_error(req, res, 404, "NOT_FOUND", "The requested resource does not exist");
    if (req.method == "DELETE") {
      jobs_.erase(it);
      res.status = 204;
      return;
    }
    boost::system::error_code ec;
    json::value body = json::parse(req.body, ec);
    auto* st = !ec && body.is_object() ? body.as_object().if_contains("state") : nullptr;
    if (st == nullptr || !st->is_string() || st->as_string() != "Aborted")
      return send_error(req, res, 400, "INVALIDJOB", "InvalidJob : only state Aborted is accepted");
    it->second.state = "Aborted";
    send_json(req, res, 200, job_json(it->second, org_.user_id, false, 0));
  };
  api(svr, "PATCH", v + "/(750[0-9A-Za-z]{12,15})/?", "bulk.abort", change);
  api(svr, "DELETE", v + "/(750[0-9A-Za-z]{12,15})/?", "bulk.delete", change);
  api(svr, "GET", v + "/(750[0-9A-Za-z]{12,15})/results/?", "bulk.results",
      [this](const httplib::Request& req, httplib::Response& res, const Caller& c) {
        BulkJob j;
        {
          std::lock_guard lock(mu_);
          auto it = jobs_.find(req.matches[2].str());
          if (it == jobs_.end()) return send_error(req, res, 404, "NOT_FOUND", "The requested resource does not exist");
          j = it->second;
        }
        if (j.state != "JobComplete")
          return send_error(req, res, 400, "JOB_NOT_COMPLETE", "Job is not complete: " + j.state);
        if (j.version != c.version)
          return send_error(req, res, 409, "INVALIDJOB", "InvalidJob : API version mismatch, job was created with " + j.version);
        std::uint64_t offset = 0;
        if (req.has_param("locator")) {
          std::string decoded;
          std::string loc = req.get_param_value("locator");
          if (!base64_decode(loc, decoded) || decoded.empty() ||
              decoded.find_first_not_of("0123456789") != std::string::npos) {
            count("fault.invalid_bulk_locator");
            return send_error(req, res, 400, "INVALIDLOCATOR", "Invalid locator: " + loc);
          }
          offset = std::stoull(decoded);
        }
        std::uint64_t max = kDefaultChunk;
        if (req.has_param("maxRecords")) max = std::max<std::uint64_t>(1, std::stoull(req.get_param_value("maxRecords")));
        auto cur = std::make_shared<Cursor>(
            plan_query(data_, job_query(j), j.operation == "queryAll"));
        std::uint64_t n = offset < cur->total ? std::min(max, cur->total - offset) : 0;
        std::uint64_t next = offset + n;
        bool loop = false;
        {
          std::lock_guard lock(mu_);
          loop = faults_.loop_locator;
        }
        std::uint64_t locator = next;  // where the next request starts
        if (loop && next < cur->total) {
          count("fault.loop_locator");
          locator = std::min(max, next);  // the second chunk, again and again
        }
        res.set_header("Sforce-NumberOfRecords", std::to_string(n));
        res.set_header("Sforce-Locator", locator < cur->total ? base64_encode(std::to_string(locator), true)
                                                              : std::string("null"));
        std::string eol = j.line_ending == "CRLF" ? "\r\n" : "\n";
        std::string header;
        for (const auto& f : cur->query.fields) header += (header.empty() ? "" : j.delimiter) + csv_quote(f.dotted);
        header += eol;
        bool cut = c.cut;
        if (cut) count("fault.cut_body");
        auto pos = std::make_shared<std::uint64_t>(offset);
        const Dataset& data = data_;
        res.set_chunked_content_provider(
            "text/csv; charset=UTF-8",
            [cur, pos, next, header, eol, delim = j.delimiter, cut, &data, started = false](
                size_t, httplib::DataSink& sink) mutable {
              if (!started) {
                started = true;
                sink.write(header.data(), header.size());
                return true;
              }
              if (*pos >= next) {
                sink.done();
                return true;
              }
              std::string out;
              std::uint64_t want = std::min(kRowsPerWrite, next - *pos);
              *pos += scan_rows(data, *cur, *pos, want, [&](std::uint64_t row) {
                bool first = true;
                for (const auto& f : cur->query.fields) {
                  if (!first) out += delim;
                  first = false;
                  out += csv_value(data.path_value(f, row), *f.leaf);
                }
                out += eol;
              });
              sink.write(out.data(), out.size());
              return !cut;  // a cut response stops after the first batch of rows
            });
      });
}

}  // namespace reportd::sim
