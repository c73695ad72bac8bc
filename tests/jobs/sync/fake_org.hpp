#pragma once
// FakeOrg: a salesforce::Api over an in-memory list of Reportd_Schedule__c
// records, for the sync and write-back tests. query() honours
// "SystemModstamp >= X" and returns deleted records only for queryAll;
// patch_record() applies the fields and moves SystemModstamp, as Salesforce
// does. Counts every call. Runs inline on the caller's executor.

#include <boost/json.hpp>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "jobs/api_provider.hpp"
#include "jobs/sync/schedule_record.hpp"

namespace reportd::sync::test {

// An active, valid record: daily at 08:00 UTC, SOQL to CSV and XLSX.
inline ScheduleRecord sample_record(std::string id, std::string name) {
  ScheduleRecord r;
  r.id = std::move(id);
  r.name = std::move(name);
  r.active = true;
  r.cron = "0 8 * * *";
  r.time_zone = "UTC";
  r.source_type = "SOQL";
  r.query = "SELECT Id FROM Account";
  r.formats = "CSV;XLSX";
  r.recipients = "a@acme.com";
  r.owner_email = "owner@acme.com";
  return r;
}

class FakeOrg final : public salesforce::Api {
 public:
  std::vector<ScheduleRecord> records;
  std::vector<std::string> queries;                          // SOQL of each query()
  std::vector<std::pair<std::string, std::string>> patches;  // record id, body
  std::optional<salesforce::ApiUsage> usage;
  Status fail_query;  // returned by query() when not ok
  Status fail_patch;
  bool lacks_next_fires = false;  // an object deployed before Next_Fires__c existed
  bool lacks_burst = false;       // ... before Burst__c existed: a query naming it fails
  std::string clock = "2026-03-01T10:00:00Z";  // SystemModstamp of the next change

  ScheduleRecord& add(ScheduleRecord r) {
    r.modstamp = next_stamp();
    records.push_back(std::move(r));
    return records.back();
  }
  ScheduleRecord* find(const std::string& id) {
    for (auto& r : records)
      if (r.id == id) return &r;
    return nullptr;
  }
  void touch(ScheduleRecord& r) { r.modstamp = next_stamp(); }

  // The coroutines only forward to plain functions: GCC 12 mishandles
  // brace-init lists inside coroutine bodies.
  boost::asio::awaitable<Status> query(std::string soql, bool all, table::RowSink& sink) override {
    co_return feed(std::move(soql), all, sink);
  }
  boost::asio::awaitable<Status> run_report(std::string, table::RowSink&) override {
    co_return Status();
  }
  boost::asio::awaitable<Status> bulk_query(std::string, table::RowSink&) override {
    co_return Status();
  }
  boost::asio::awaitable<Status> patch_record(std::string sobject, std::string id,
                                              std::string body) override {
    co_return apply(sobject, id, body);
  }
  boost::asio::awaitable<Result<salesforce::UploadResult>> upload_file(
      salesforce::FileUpload) override {
    co_return Status::error(ErrorKind::kPermanent, "not in this fake");
  }
  std::optional<salesforce::ApiUsage> api_usage() const override { return usage; }

 private:
  static Status no_burst_column() {
    return Status::error(ErrorKind::kPermanent,
                         "400 INVALID_FIELD: No such column 'Burst__c' on entity "
                         "'Reportd_Schedule__c'",
                         "INVALID_FIELD");
  }

  Status feed(std::string soql, bool all, table::RowSink& sink) {
    queries.push_back(soql);
    if (!fail_query.ok()) return fail_query;
    const bool burst = soql.find("Burst__c") != std::string::npos;
    if (lacks_burst && burst) return no_burst_column();
    std::string since;
    if (auto at = soql.find("SystemModstamp >= "); at != std::string::npos) {
      since = soql.substr(at + 18, 20);
    }
    table::TableHeader h;
    for (const char* c : {"Id",
                          "Name",
                          "IsDeleted",
                          "SystemModstamp",
                          "Active__c",
                          "Cron__c",
                          "Time_Zone__c",
                          "Source_Type__c",
                          "Query__c",
                          "Report_Id__c",
                          "Formats__c",
                          "Recipients__c",
                          "Subject__c",
                          "Body__c",
                          "Send_When_Empty__c",
                          "Send_When__c",
                          "Minimum_Rows__c",
                          "Files_Target_Id__c",
                          "Owner.Email",
                          "Owner.Username",
                          "Run_As__c",
                          "Burst__c",
                          "Last_Status__c",
                          "Last_Error__c",
                          "Next_Run__c"}) {
      h.columns.push_back({c, c, table::CellType::kString});
    }
    const std::size_t burst_column = 21;  // left out when the query does not name it
    if (!burst) h.columns.erase(h.columns.begin() + burst_column);
    if (Status st = sink.begin(h); !st.ok()) return st;
    std::uint64_t n = 0;
    for (const ScheduleRecord& r : records) {
      if (r.deleted && !all) continue;
      if (!since.empty() && r.modstamp < since) continue;
      std::string stamp = r.modstamp.substr(0, 19) + ".000+0000";
      auto text = [](const std::string& s) {
        return s.empty() ? table::Cell::null() : table::Cell::string(s);
      };
      std::vector<table::Cell> cells = {text(r.id),
                                        text(r.name),
                                        table::Cell::boolean_value(r.deleted),
                                        text(stamp),
                                        table::Cell::boolean_value(r.active),
                                        text(r.cron),
                                        text(r.time_zone),
                                        text(r.source_type),
                                        text(r.query),
                                        text(r.report_id),
                                        text(r.formats),
                                        text(r.recipients),
                                        text(r.subject),
                                        text(r.body),
                                        table::Cell::boolean_value(r.send_when_empty),
                                        text(r.send_when),
                                        text(r.minimum_rows),
                                        text(r.files_target_id),
                                        text(r.owner_email),
                                        text(r.owner_username),
                                        text(r.run_as),
                                        table::Cell::boolean_value(r.burst),
                                        text(r.last_status),
                                        text(r.last_error),
                                        text(r.next_run)};
      if (!burst) cells.erase(cells.begin() + burst_column);
      if (Status st = sink.row(cells); !st.ok()) return st;
      ++n;
    }
    return sink.end({n, false});
  }

  Status apply(const std::string& sobject, const std::string& id, const std::string& body) {
    patches.emplace_back(id, body);
    if (!fail_patch.ok()) return fail_patch;
    if (lacks_next_fires && body.find("\"Next_Fires__c\"") != std::string::npos) {
      return Status::error(ErrorKind::kPermanent,
                           "400 INVALID_FIELD: No such column 'Next_Fires__c' on sobject of type "
                           "Reportd_Schedule__c",
                           "INVALID_FIELD");
    }
    ScheduleRecord* r = sobject == kScheduleObject ? find(id) : nullptr;
    if (r == nullptr) return Status::error(ErrorKind::kPermanent, "404 NOT_FOUND", "NOT_FOUND");
    const boost::json::object o = boost::json::parse(body).as_object();
    auto put = [&](const char* key, std::string& field) {
      if (const auto* v = o.if_contains(key))
        field = v->is_string() ? std::string(v->as_string()) : "";
    };
    put("Last_Status__c", r->last_status);
    put("Last_Error__c", r->last_error);
    put("Next_Run__c", r->next_run);
    touch(*r);
    return Status();
  }

  // Each change one second later than the last, as SystemModstamp moves.
  std::string next_stamp() {
    std::string now = clock;
    int s = std::stoi(clock.substr(17, 2)) + 1;
    int m = std::stoi(clock.substr(14, 2)) + s / 60;
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02d:%02d", m % 60, s % 60);
    clock = clock.substr(0, 14) + buf + "Z";
    return now;
  }
};

// Hands every connection the same FakeOrg.
class FakeProvider final : public jobs::ApiProvider {
 public:
  explicit FakeProvider(FakeOrg& org) : org_(org) {}
  Result<std::shared_ptr<salesforce::Api>> lease(const store::Connection&) override {
    return std::shared_ptr<salesforce::Api>(std::shared_ptr<salesforce::Api>(), &org_);  // not owned
  }
  void forget(std::int64_t id) override { forgotten.push_back(id); }
  std::vector<std::int64_t> forgotten;

 private:
  FakeOrg& org_;
};

}  // namespace reportd::sync::test
