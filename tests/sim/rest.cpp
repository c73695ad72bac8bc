// Discovery (/services/data, version root), /limits and describe.
#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "http_util.hpp"
#include "sim.hpp"

namespace reportd::sim {
namespace {

std::string version_label(int major) {
  // Three releases a year: v60.0 Spring '24, v61.0 Summer '24, v62.0 Winter '25.
  static const char* seasons[] = {"Spring", "Summer", "Winter"};
  int k = major - 60;
  int floor_div = k >= 0 ? k / 3 : -((-k + 2) / 3);
  int year = 24 + floor_div + (major % 3 == 2 ? 1 : 0);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s '%02d", seasons[major % 3], year);
  return buf;
}

std::string field_json(const FieldDef& f) {
  bool num = f.type == FieldType::kCurrency || f.type == FieldType::kDouble ||
             f.type == FieldType::kPercent;
  int length = is_text(f.type) ? max_length(f)
               : (f.type == FieldType::kId || f.type == FieldType::kReference) ? 18 : 0;
  std::string refs = f.reference_to.empty() ? "[]" : "[" + jstr(f.reference_to) + "]";
  std::string wr = f.writable ? "true" : "false";
  return "{\"name\":" + jstr(f.name) + ",\"label\":" + jstr(f.label) + ",\"type\":" +
         jstr(type_name(f.type)) + ",\"soapType\":" + jstr(soap_type(f.type)) +
         ",\"length\":" + std::to_string(length) + ",\"byteLength\":" + std::to_string(length * 3) +
         ",\"precision\":" + (num ? "18" : "0") + ",\"scale\":" + (num ? "2" : "0") +
         ",\"digits\":" + (f.type == FieldType::kInt ? "9" : "0") +
         ",\"nillable\":" + (f.nillable ? "true" : "false") + ",\"createable\":" + wr +
         ",\"updateable\":" + wr + ",\"filterable\":true,\"sortable\":true,\"groupable\":true" +
         ",\"unique\":false,\"externalId\":false,\"idLookup\":" + (f.name == "Id" ? "true" : "false") +
         ",\"calculated\":false,\"custom\":" + (f.name.ends_with("__c") ? "true" : "false") +
         ",\"referenceTo\":" + refs + ",\"relationshipName\":" +
         (f.relationship_name.empty() ? "null" : jstr(f.relationship_name)) +
         ",\"picklistValues\":[]}";
}

std::string object_summary(const ObjectDef& o, const std::string& version) {
  std::string base = "/services/data/v" + version + "/sobjects/" + o.name;
  bool writable = o.source == Source::kStored || o.name == "Account" || o.name == "Contact" ||
                  o.name == "Opportunity";
  std::string wr = writable ? "true" : "false";
  return "{\"name\":" + jstr(o.name) + ",\"label\":" + jstr(o.label) + ",\"labelPlural\":" +
         jstr(o.label_plural) + ",\"keyPrefix\":" + jstr(o.key_prefix) +
         ",\"custom\":" + (o.custom ? "true" : "false") + ",\"createable\":" + wr +
         ",\"updateable\":" + wr + ",\"deletable\":" + wr + ",\"queryable\":true,\"retrieveable\":true"
         ",\"searchable\":true,\"layoutable\":true,\"urls\":{\"sobject\":" + jstr(base) +
         ",\"describe\":" + jstr(base + "/describe") + ",\"rowTemplate\":" + jstr(base + "/{ID}") + "}}";
}

}  // namespace

void Sim::install_rest(httplib::Server& svr) {
  Handler versions = [this](const httplib::Request& req, httplib::Response& res) {
    int newest = std::atoi(opts_.api_version.c_str());
    std::string out = "[";
    for (int m = 31; m <= newest; ++m) {
      std::string ver = std::to_string(m) + ".0";
      out += (m == 31 ? "" : ",") + std::string("{\"label\":") + jstr(version_label(m)) +
             ",\"url\":" + jstr("/services/data/v" + ver) + ",\"version\":" + jstr(ver) + "}";
    }
    send_json(req, res, 200, out + "]");
  };
  plain(svr, "GET", "/services/data/?", "discovery", versions);
  const std::string v = R"(/services/data/v(\d+\.\d+))";
  api(svr, "GET", v + "/?", "version_root",
      [this](const httplib::Request& req, httplib::Response& res, const Caller& c) {
        std::string p = "/services/data/v" + c.version;
        std::string out = "{";
        bool first = true;
        for (const char* k : {"tooling", "metadata", "eclair", "folders", "prechatForms",
                              "chatter", "tabs", "appMenu", "quickActions", "queryAll", "commerce",
                              "wave", "iot", "analytics", "search", "identity", "composite",
                              "parameterizedSearch", "fingerprint", "theme", "nouns", "event",
                              "serviceTemplates", "recent", "connect", "licensing", "limits",
                              "process", "async-queries", "query", "jobs", "match", "emailConnect",
                              "compactLayouts", "knowledgeManagement", "sobjects", "actions",
                              "support"}) {
          std::string key = k;
          std::string val = key == "identity" ? org_.base_url + "/id/" + org_.org_id + "/" + org_.user_id
                                              : p + "/" + key;
          out += (first ? "" : ",") + jstr(key) + ":" + jstr(val);
          first = false;
        }
        send_json(req, res, 200, out + "}");
      });
  api(svr, "GET", v + "/limits/?", "limits",
      [this](const httplib::Request& req, httplib::Response& res, const Caller& c) {
        std::uint64_t max = opts_.api_max, used = c.call;
        {
          std::lock_guard lock(mu_);
          if (faults_.limit_exceeded_after > 0) max = faults_.limit_exceeded_after;
        }
        std::uint64_t remaining = used >= max ? 0 : max - used;
        auto lim = [](const char* name, std::uint64_t m, std::uint64_t r) {
          return jstr(name) + ":{\"Max\":" + std::to_string(m) + ",\"Remaining\":" + std::to_string(r) + "}";
        };
        send_json(req, res, 200,
                  "{" + lim("DailyApiRequests", max, remaining) + "," +
                      lim("ConcurrentSyncReportRuns", 20, 20) + "," + lim("HourlySyncReportRuns", 500, 500) +
                      "," + lim("HourlyAsyncReportRuns", 1200, 1200) + "," +
                      lim("ConcurrentAsyncGetReportInstances", 200, 200) + "," +
                      lim("DailyBulkApiBatches", 15000, 15000) + "," +
                      lim("DailyBulkV2QueryJobs", 10000, 10000) + "," +
                      lim("DailyBulkV2QueryFileStorageMB", 976562, 976562) + "," +
                      lim("DataStorageMB", 5, 5) + "," + lim("FileStorageMB", 20, 20) + "}");
      });
  api(svr, "GET", v + "/sobjects/?", "sobjects.global",
      [](const httplib::Request& req, httplib::Response& res, const Caller& c) {
        std::string out = "{\"encoding\":\"UTF-8\",\"maxBatchSize\":200,\"sobjects\":[";
        bool first = true;
        for (const auto& o : schema()) {
          out += (first ? "" : ",") + object_summary(o, c.version);
          first = false;
        }
        send_json(req, res, 200, out + "]}");
      });
  api(svr, "GET", v + "/sobjects/([A-Za-z_0-9]+)/describe/?", "sobjects.describe",
      [](const httplib::Request& req, httplib::Response& res, const Caller& c) {
        const ObjectDef* o = find_object(req.matches[2].str());
        if (o == nullptr)
          return send_error(req, res, 404, "NOT_FOUND", "The requested resource does not exist");
        std::string summary = object_summary(*o, c.version);
        summary.pop_back();
        std::string out = summary + ",\"fields\":[";
        for (size_t i = 0; i < o->fields.size(); ++i) out += (i ? "," : "") + field_json(o->fields[i]);
        out += "],\"childRelationships\":[";
        bool first = true;
        for (const auto& other : schema()) {
          for (const auto& f : other.fields) {
            if (f.reference_to != o->name) continue;
            std::string rel = other.label_plural;
            rel.erase(std::remove(rel.begin(), rel.end(), ' '), rel.end());
            out += (first ? "" : ",") + std::string("{\"childSObject\":") + jstr(other.name) +
                   ",\"field\":" + jstr(f.name) + ",\"relationshipName\":" + jstr(rel) +
                   ",\"cascadeDelete\":false}";
            first = false;
          }
        }
        out += "],\"recordTypeInfos\":[]}";
        send_json(req, res, 200, out);
      });
}

}  // namespace reportd::sim
