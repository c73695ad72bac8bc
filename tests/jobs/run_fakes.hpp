#pragma once
// Fakes for driving whole runs (tests/jobs/run_pipeline_test.cpp): an org
// whose queries return rows carrying its own marker, with scripted errors, a
// hang on the fake clock or a throw; a provider handing each connection its
// own org (and nothing else); a mail transport that records what it sends.
// FakeOrg (tests/jobs/sync/fake_org.hpp) serves schedule records for sync
// tests; this one serves report rows. Runs inline on the caller's executor.

#include <deque>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "jobs/api_provider.hpp"
#include "jobs/deliver/mail_transport.hpp"
#include "jobs/deliver/message_source.hpp"
#include "tests/jobs/fake_clock.hpp"

namespace reportd::jobs::test {

class RowsOrg final : public salesforce::Api {
 public:
  RowsOrg(std::string planted, Timer& timer) : marker(std::move(planted)), timer_(timer) {}

  std::string marker;  // in every row's Name
  int rows = 3;
  // Pages the rows come in: between two, the query awaits the sink's pace
  // (salesforce::PacedSink), as the real client does.
  int pages = 1;
  std::deque<Status> script;  // errors returned by the next calls, front first
  std::chrono::milliseconds hang{0};  // each query first waits this long (fake clock)
  bool throws = false;               // each query throws (a bug in a stage)
  std::optional<salesforce::ApiUsage> usage;
  int queries = 0;
  int uploads = 0;

  boost::asio::awaitable<Status> query(std::string, bool, table::RowSink& sink) override {
    ++queries;
    if (hang.count() > 0) {
      // Not inside the condition: GCC 12 miscompiles co_await after &&.
      const bool waited = co_await timer_.wait(hang);
      if (!waited) co_return Status::error(ErrorKind::kTransient, "cancelled", "cancelled");
    }
    if (throws) throw std::runtime_error("a bug in the source");
    if (pages <= 1 || !script.empty()) co_return feed(sink, 0, rows, true);
    for (int p = 0; p < pages; ++p) {
      if (p > 0) {
        Status paced = co_await salesforce::pace(sink);
        if (!paced.ok()) co_return paced;
      }
      const int from = rows * p / pages, to = rows * (p + 1) / pages;
      Status st = feed(sink, from, to, p == 0);
      if (!st.ok()) co_return st;
    }
    co_return sink.end({static_cast<std::uint64_t>(rows), false});
  }
  boost::asio::awaitable<Status> run_report(std::string, table::RowSink& sink) override {
    co_return co_await query({}, false, sink);
  }
  boost::asio::awaitable<Status> bulk_query(std::string, table::RowSink& sink) override {
    co_return co_await query({}, false, sink);
  }
  boost::asio::awaitable<Status> patch_record(std::string, std::string, std::string) override {
    co_return Status();
  }
  boost::asio::awaitable<Result<salesforce::UploadResult>> upload_file(
      salesforce::FileUpload) override {
    ++uploads;
    co_return salesforce::UploadResult{"068x", "069x"};
  }
  std::optional<salesforce::ApiUsage> api_usage() const override { return usage; }

 private:
  // Rows [from, to): with the header when `first`; the end too when they are all.
  Status feed(table::RowSink& sink, int from, int to, bool first) {
    if (!script.empty()) {
      Status st = std::move(script.front());
      script.pop_front();
      return st;
    }
    if (first) {
      table::TableHeader h;
      h.columns.push_back({"Name", "Name", table::CellType::kString});
      if (Status st = sink.begin(h); !st.ok()) return st;
    }
    for (int i = from; i < to; ++i) {
      const std::string name = marker + "-" + std::to_string(i);
      table::Cell cell = table::Cell::string(name);
      if (Status st = sink.row(std::span<const table::Cell>(&cell, 1)); !st.ok()) return st;
    }
    if (from != 0 || to != rows) return Status();
    return sink.end({static_cast<std::uint64_t>(rows), false});
  }

  Timer& timer_;
};

// Each connection id gets its own org; any other id is refused.
class OrgsProvider final : public ApiProvider {
 public:
  std::map<std::int64_t, salesforce::Api*> orgs;
  std::vector<std::int64_t> forgotten;
  Result<std::shared_ptr<salesforce::Api>> lease(const store::Connection& c) override {
    auto it = orgs.find(c.id);
    if (it == orgs.end()) return Status::error(ErrorKind::kNotFound, "no org for this connection");
    return std::shared_ptr<salesforce::Api>(std::shared_ptr<salesforce::Api>(), it->second);  // not owned
  }
  void forget(std::int64_t id) override { forgotten.push_back(id); }
};

class RecordingMail final : public deliver::MailTransport {
 public:
  std::vector<std::string> to;        // one entry per message: its first recipient
  std::vector<std::string> messages;  // the whole message
  std::deque<Status> script;          // errors answered by the next sends
  std::chrono::milliseconds hang{0};
  Timer* timer = nullptr;             // for `hang`

  boost::asio::awaitable<Result<deliver::SendReport>> send(deliver::Envelope env,
                                                           deliver::MessageSource& m) override {
    if (hang.count() > 0) {
      const bool waited = co_await timer->wait(hang);
      if (!waited) co_return Status::error(ErrorKind::kTransient, "cancelled", "cancelled");
    }
    co_return record(std::move(env), deliver::read_all(m));
  }
  std::uint64_t max_message_bytes() const override { return 1 << 20; }

 private:
  Result<deliver::SendReport> record(deliver::Envelope env, std::string message) {
    if (!script.empty()) {
      Status st = std::move(script.front());
      script.pop_front();
      return st;
    }
    to.push_back(env.to.at(0));
    messages.push_back(std::move(message));
    deliver::SendReport rep;
    for (const auto& a : env.to) {
      rep.recipients.push_back({a, deliver::RcptOutcome::kAccepted, 250, "250 ok"});
    }
    return rep;
  }
};

}  // namespace reportd::jobs::test
