// Reports API: synchronous runs of three saved reports over Opportunity
// (tabular, summary by stage, matrix stage x close year), with factMap,
// groupings, detailColumnInfo and the 2,000-detail-row cap (allData:false).
// Run as a user: their rows (sharing) and their columns: a detail column
// whose field field-level security hides from them is left out, the report
// still runs (salesforce-wire.md §4).
#include <map>

#include "http_util.hpp"
#include "ids.hpp"
#include "report_format.hpp"
#include "reports.hpp"
#include "sim.hpp"

namespace reportd::sim {
namespace {

enum class Fmt { kTabular, kSummary, kMatrix };

struct Column {
  const char* key;
  const char* label;
  const char* type;
  const char* path;      // shown value (label)
  const char* id_path;   // raw value for name/lookup columns, else nullptr
};

constexpr Column kColumns[] = {
    {"OPPORTUNITY_NAME", "Opportunity Name", "string", "Name", "Id"},
    {"ACCOUNT_NAME", "Account Name", "string", "Account.Name", "AccountId"},
    {"FULL_NAME", "Opportunity Owner", "string", "Owner.Name", nullptr},
    {"AMOUNT", "Amount", "currency", "Amount", nullptr},
    {"CLOSE_DATE", "Close Date", "date", "CloseDate", nullptr},
    {"STAGE_NAME", "Stage", "picklist", "StageName", nullptr},
    {"PROBABILITY", "Probability (%)", "percent", "Probability", nullptr},
    {"WON", "Won", "boolean", "IsWon", nullptr},
    {"CREATED_DATE", "Created Date", "datetime", "CreatedDate", nullptr},
    {"DESCRIPTION", "Description", "textarea", "Description", nullptr},
    {"QUANTITY", "Quantity", "double", "TotalOpportunityQuantity", nullptr},
};

struct ReportDef {
  std::uint64_t n;
  const char* name;
  const char* developer_name;
  Fmt fmt;
};

constexpr ReportDef kReports[] = {
    {1, "Opportunities (tabular)", "Opportunities_Tabular", Fmt::kTabular},
    {2, "Opportunities by Stage", "Opportunities_by_Stage", Fmt::kSummary},
    {3, "Opportunities Stage x Close Year", "Opportunities_Matrix", Fmt::kMatrix},
};

constexpr std::uint64_t kRowCap = 2000;

const char* format_name(Fmt f) {
  return f == Fmt::kTabular ? "TABULAR" : f == Fmt::kSummary ? "SUMMARY" : "MATRIX";
}

// Whether the field a column shows ("Amount", "Account.Name") is hidden from `user`.
bool hidden_from(const Column& c, const SimUser& user) {
  const ObjectDef* object = find_object("Opportunity");
  std::string field = c.path;
  if (const auto dot = field.find('.'); dot != std::string::npos) {
    const FieldDef* ref = object->relationship(field.substr(0, dot));
    object = ref != nullptr ? find_object(ref->reference_to) : nullptr;
    field = field.substr(dot + 1);
  }
  const FieldDef* f = object != nullptr ? object->field(field) : nullptr;
  return f != nullptr && user.hides(*object, *f);
}

std::vector<const Column*> detail_columns(Fmt f, const SimUser& user) {
  std::vector<const Column*> out;
  for (const auto& c : kColumns)
    if ((f == Fmt::kTabular || std::string(c.key) != "STAGE_NAME") && !hidden_from(c, user)) out.push_back(&c);
  return out;
}

std::int64_t cents(const Value& v) {
  if (v.kind != Value::Kind::kNumber) return 0;
  auto dot = v.text.find('.');
  std::int64_t whole = std::atoll(v.text.substr(0, dot).c_str());
  std::string frac = dot == std::string::npos ? "00" : v.text.substr(dot + 1);
  frac.resize(2, '0');
  return whole * 100 + std::atoll(frac.c_str());
}

struct Agg {
  std::uint64_t count = 0;
  std::int64_t cents = 0;
  std::vector<std::uint64_t> rows;
};

class Runner {
 public:
  Runner(const Dataset& data, const ReportDef& def, bool details, std::string version,
         const SimUser& user)
      : data_(data), def_(def), details_(details), version_(std::move(version)), user_(user) {
    auto parsed = parse_soql(
        "SELECT Id, Name, AccountId, Account.Name, Owner.Name, Amount, CloseDate, StageName, "
        "Probability, IsWon, CreatedDate, Description, TotalOpportunityQuantity, OwnerId FROM Opportunity");
    query_ = std::get<Query>(std::move(parsed));
    for (const auto& p : query_.fields) paths_[p.dotted] = &p;
    if (!user.view_all) owner_ = user.id;  // the sharing model of users.hpp
  }

  std::string run() {
    const std::vector<std::uint64_t> seen = visible_rows();
    const std::uint64_t n = seen.size();
    std::map<std::pair<int, int>, Agg> cells;
    for (std::uint64_t r : seen) {
      auto key = keys(r);
      Agg& a = cells[key];
      ++a.count;
      a.cents += cents(value("Amount", r));
      down_.emplace(key.first, 0);
      across_.emplace(key.second, 0);
    }
    int i = 0;
    for (auto& [k, idx] : down_) idx = i++;
    i = 0;
    for (auto& [k, idx] : across_) idx = i++;
    std::uint64_t emitted = 0;
    if (details_) {
      for (auto& [key, agg] : cells) {  // map order = group output order
        for (std::uint64_t r : seen) {
          if (emitted >= kRowCap) break;
          if (keys(r) != key) continue;
          agg.rows.push_back(r);
          ++emitted;
        }
      }
    }
    bool all_data = !details_ || emitted == n;
    std::string fact = "{";
    auto add = [&](const std::string& k, std::uint64_t count, std::int64_t sum, const std::vector<std::uint64_t>* rows) {
      if (fact.size() > 1) fact += ',';
      fact += jstr(k) + ":{";
      if (details_ && rows != nullptr) {
        fact += "\"rows\":[";
        for (size_t j = 0; j < rows->size(); ++j) fact += (j ? "," : "") + row_json((*rows)[j]);
        fact += "],";
      }
      std::string dec = format_scaled(sum, 2);
      fact += "\"aggregates\":[{\"label\":" + jstr(money_label(dec)) + ",\"value\":" + dec +
              "},{\"label\":" + jstr(std::to_string(count)) + ",\"value\":" + std::to_string(count) + "}]}";
    };
    std::uint64_t total_count = 0;
    std::int64_t total_cents = 0;
    std::map<int, Agg> by_down, by_across;
    for (const auto& [key, agg] : cells) {
      total_count += agg.count;
      total_cents += agg.cents;
      by_down[key.first].count += agg.count;
      by_down[key.first].cents += agg.cents;
      by_across[key.second].count += agg.count;
      by_across[key.second].cents += agg.cents;
    }
    if (def_.fmt == Fmt::kTabular) {
      std::vector<std::uint64_t> rows;
      for (const auto& [key, agg] : cells) rows.insert(rows.end(), agg.rows.begin(), agg.rows.end());
      add("T!T", total_count, total_cents, &rows);
    } else if (def_.fmt == Fmt::kSummary) {
      for (const auto& [key, agg] : cells)
        add(std::to_string(down_[key.first]) + "!T", agg.count, agg.cents, &agg.rows);
      add("T!T", total_count, total_cents, nullptr);
    } else {
      for (const auto& [key, agg] : cells)
        add(std::to_string(down_[key.first]) + "!" + std::to_string(across_[key.second]), agg.count,
            agg.cents, &agg.rows);
      for (const auto& [d, agg] : by_down) add(std::to_string(down_[d]) + "!T", agg.count, agg.cents, nullptr);
      for (const auto& [a, agg] : by_across) add("T!" + std::to_string(across_[a]), agg.count, agg.cents, nullptr);
      add("T!T", total_count, total_cents, nullptr);
    }
    fact += "}";
    std::string id = make_id("00O", def_.n);
    std::string base = "/services/data/v" + version_ + "/analytics/reports/" + id;
    return "{\"attributes\":{\"type\":\"Report\",\"reportId\":" + jstr(id) + ",\"reportName\":" +
           jstr(def_.name) + ",\"describeUrl\":" + jstr(base + "/describe") + ",\"instancesUrl\":" +
           jstr(base + "/instances") + "},\"allData\":" + (all_data ? "true" : "false") +
           ",\"hasDetailRows\":" + (details_ ? "true" : "false") + ",\"factMap\":" + fact +
           ",\"groupingsDown\":" + groupings_down() + ",\"groupingsAcross\":" + groupings_across() +
           "," + metadata(def_, details_, user_) + "}";
  }

  static std::string metadata(const ReportDef& def, bool details, const SimUser& user) {
    std::string cols, info;
    for (const Column* c : detail_columns(def.fmt, user)) {
      cols += (cols.empty() ? "" : ",") + jstr(c->key);
      info += (info.empty() ? "" : ",") + jstr(c->key) + ":{\"dataType\":" + jstr(c->type) +
              ",\"label\":" + jstr(c->label) + ",\"entityColumnName\":" +
              jstr(std::string("Opportunity.") + c->path) + "}";
    }
    std::string down = def.fmt == Fmt::kTabular ? "[]"
        : "[{\"name\":\"STAGE_NAME\",\"sortOrder\":\"Asc\",\"dateGranularity\":\"None\",\"sortAggregate\":null}]";
    std::string across = def.fmt != Fmt::kMatrix ? "[]"
        : "[{\"name\":\"CLOSE_DATE\",\"sortOrder\":\"Asc\",\"dateGranularity\":\"Year\",\"sortAggregate\":null}]";
    std::string grouping_info = def.fmt == Fmt::kTabular ? "{}"
        : std::string("{\"STAGE_NAME\":{\"dataType\":\"picklist\",\"label\":\"Stage\",\"groupingLevel\":0}") +
              (def.fmt == Fmt::kMatrix
                   ? ",\"CLOSE_DATE\":{\"dataType\":\"date\",\"label\":\"Close Date\",\"groupingLevel\":0}"
                   : "") + "}";
    return "\"reportMetadata\":{\"id\":" + jstr(make_id("00O", def.n)) + ",\"name\":" + jstr(def.name) +
           ",\"developerName\":" + jstr(def.developer_name) + ",\"reportFormat\":" +
           jstr(format_name(def.fmt)) +
           ",\"reportType\":{\"type\":\"Opportunity\",\"label\":\"Opportunities\"},\"detailColumns\":[" +
           cols + "],\"aggregates\":[\"s!AMOUNT\",\"RowCount\"],\"groupingsDown\":" + down +
           ",\"groupingsAcross\":" + across +
           ",\"reportFilters\":[],\"reportBooleanFilter\":null,\"hasDetailRows\":" +
           (details ? "true" : "false") + ",\"currency\":null,\"scope\":\"organization\","
           "\"showGrandTotal\":true,\"showSubtotals\":true},\"reportExtendedMetadata\":{\"detailColumnInfo\":{" +
           info + "},\"aggregateColumnInfo\":{\"s!AMOUNT\":{\"dataType\":\"currency\",\"label\":\"Sum of Amount\","
           "\"acrossGroupingContext\":null,\"downGroupingContext\":null},\"RowCount\":{\"dataType\":\"int\","
           "\"label\":\"Record Count\",\"acrossGroupingContext\":null,\"downGroupingContext\":null}},"
           "\"groupingColumnInfo\":" + grouping_info + "}";
  }

 private:
  // The rows the running user may see (the sharing model of users.hpp).
  std::vector<std::uint64_t> visible_rows() const {
    std::vector<std::uint64_t> out;
    const std::uint64_t all = data_.rows(*query_.object, false);
    for (std::uint64_t r = 0; r < all; ++r)
      if (owner_.empty() || value("OwnerId", r).text == owner_) out.push_back(r);
    return out;
  }

  Value value(const char* path, std::uint64_t row) const {
    return data_.path_value(*paths_.at(path), row);
  }

  std::pair<int, int> keys(std::uint64_t row) const {
    int down = 0, across = 0;
    if (def_.fmt != Fmt::kTabular) {
      std::string stage = value("StageName", row).text;
      static const char* order[] = {"Prospecting", "Qualification", "Needs Analysis",
                                    "Proposal/Price Quote", "Negotiation/Review", "Closed Won",
                                    "Closed Lost"};
      for (int i = 0; i < 7; ++i)
        if (stage == order[i]) down = i;
    }
    if (def_.fmt == Fmt::kMatrix) across = std::atoi(value("CloseDate", row).text.substr(0, 4).c_str());
    return {down, across};
  }

  std::string cell(const Column& c, std::uint64_t row) const {
    Value v = value(c.path, row);
    if (v.is_null()) return "{\"label\":\"-\",\"value\":null}";
    std::string t = c.type;
    if (c.id_path != nullptr) {
      Value id = value(c.id_path, row);
      return "{\"label\":" + jstr(v.text) + ",\"value\":" + (id.is_null() ? "null" : jstr(id.text)) + "}";
    }
    if (t == "currency")
      return "{\"label\":" + jstr(money_label(v.text)) + ",\"value\":{\"amount\":" + v.text + ",\"currency\":null}}";
    if (t == "date") return "{\"label\":" + jstr(date_label(v.text)) + ",\"value\":" + jstr(v.text) + "}";
    if (t == "datetime")
      return "{\"label\":" + jstr(datetime_label(v.text)) + ",\"value\":" + jstr(datetime_iso_z(v.text)) + "}";
    if (t == "percent") return "{\"label\":" + jstr(v.text + "%") + ",\"value\":" + v.text + "}";
    if (t == "boolean") {
      std::string b = v.flag ? "true" : "false";
      return "{\"label\":\"" + b + "\",\"value\":" + b + "}";
    }
    if (t == "double") return "{\"label\":" + jstr(v.text) + ",\"value\":" + v.text + "}";
    return "{\"label\":" + jstr(v.text) + ",\"value\":" + jstr(v.text) + "}";
  }

  std::string row_json(std::uint64_t row) const {
    std::string out = "{\"dataCells\":[";
    bool first = true;
    for (const Column* c : detail_columns(def_.fmt, user_)) {
      out += (first ? "" : ",") + cell(*c, row);
      first = false;
    }
    return out + "]}";
  }

  std::string groupings_down() const {
    if (def_.fmt == Fmt::kTabular) return "{\"groupings\":[]}";
    static const char* order[] = {"Prospecting", "Qualification", "Needs Analysis",
                                  "Proposal/Price Quote", "Negotiation/Review", "Closed Won",
                                  "Closed Lost"};
    std::string out = "{\"groupings\":[";
    for (const auto& [k, idx] : down_) {
      out += (idx ? "," : "") + std::string("{\"key\":") + jstr(std::to_string(idx)) + ",\"label\":" +
             jstr(order[k]) + ",\"value\":" + jstr(order[k]) + ",\"groupings\":[],\"dateGranularity\":\"None\"}";
    }
    return out + "]}";
  }

  std::string groupings_across() const {
    if (def_.fmt != Fmt::kMatrix) return "{\"groupings\":[]}";
    std::string out = "{\"groupings\":[";
    for (const auto& [year, idx] : across_) {
      out += (idx ? "," : "") + std::string("{\"key\":") + jstr(std::to_string(idx)) + ",\"label\":" +
             jstr(std::to_string(year)) + ",\"value\":" + jstr(std::to_string(year) + "-01-01") +
             ",\"groupings\":[],\"dateGranularity\":\"Year\"}";
    }
    return out + "]}";
  }

  const Dataset& data_;
  const ReportDef& def_;
  bool details_;
  std::string version_;
  SimUser user_;
  Query query_;
  std::map<std::string, const FieldPath*> paths_;
  std::map<int, int> down_, across_;  // group value -> output index
  std::string owner_;                 // empty: every row (View All Data)
};

const ReportDef* find_report(const std::string& id) {
  auto row = id_row("00O", id);
  for (const auto& r : kReports)
    if (row && *row == r.n) return &r;
  return nullptr;
}

}  // namespace

std::optional<std::string> run_report(const Dataset& data, const std::string& id, bool details,
                                      const std::string& version, const SimUser& user) {
  const ReportDef* def = find_report(id);
  if (def == nullptr) return std::nullopt;
  return Runner(data, *def, details, version, user).run();
}

void Sim::install_reports(httplib::Server& svr) {
  install_report_instances(svr);
  const std::string v = R"(/services/data/v(\d+\.\d+)/analytics/reports)";
  api(svr, "GET", v + "/?", "reports.list",
      [](const httplib::Request& req, httplib::Response& res, const Caller& c) {
        std::string out = "[";
        for (const auto& r : kReports) {
          std::string id = make_id("00O", r.n);
          std::string base = "/services/data/v" + c.version + "/analytics/reports/" + id;
          out += (out.size() > 1 ? "," : "") + std::string("{\"id\":") + jstr(id) + ",\"name\":" +
                 jstr(r.name) + ",\"url\":" + jstr(base) + ",\"describeUrl\":" + jstr(base + "/describe") +
                 ",\"instancesUrl\":" + jstr(base + "/instances") + "}";
        }
        send_json(req, res, 200, out + "]");
      });
  api(svr, "GET", v + "/([0-9A-Za-z]{15,18})/describe", "reports.describe",
      [this](const httplib::Request& req, httplib::Response& res, const Caller& c) {
        const ReportDef* def = find_report(req.matches[2].str());
        if (def == nullptr) return send_error(req, res, 404, "NOT_FOUND", "The requested resource does not exist");
        send_json(req, res, 200,
                  "{" + Runner::metadata(*def, true, seen_by(c.user)) +
                      ",\"reportTypeMetadata\":{\"categories\":[],\"dataTypeFilterOperatorMap\":{}}}");
      });
  ApiHandler run = [this](const httplib::Request& req, httplib::Response& res, const Caller& c) {
    const ReportDef* def = find_report(req.matches[2].str());
    if (def == nullptr) return send_error(req, res, 404, "NOT_FOUND", "The requested resource does not exist");
    bool details = req.get_param_value("includeDetails") == "true";
    count(std::string("reports.run.") + format_name(def->fmt));
    send_json(req, res, 200, Runner(data_, *def, details, c.version, seen_by(c.user)).run());
  };
  api(svr, "GET", v + "/([0-9A-Za-z]{15,18})/?", "reports.run", run);
  api(svr, "POST", v + "/([0-9A-Za-z]{15,18})/?", "reports.run", run);
}

}  // namespace reportd::sim
