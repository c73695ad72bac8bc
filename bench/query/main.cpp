// reportd-bench-query: a 1,000,000-row SOQL query from reportd-sfsim into a
// counting RowSink, beside the floor (the same pages fetched over the same
// HTTPS connection with no JSON parsing), and a JSON micro-benchmark on one
// page (Boost.JSON DOM vs the streaming SAX parser the client uses vs
// simdjson On-Demand doing the same work, when built with simdjson).
// Prints rows/s, CPU seconds and peak RSS per phase; medians over --runs.
//
//   reportd-bench-query [--rows N] [--runs R] [--sim PATH]
#include <sys/resource.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "salesforce_client/client.hpp"
#include "salesforce_client/query_page.hpp"
#include "sim_process.hpp"
#ifdef REPORTD_HAVE_SIMDJSON
#include "ondemand_page.hpp"
#endif

namespace asio = boost::asio;
using namespace reportd;
using namespace reportd::salesforce;

namespace {

constexpr const char* kSoql =
    "SELECT Id, Name, Owner.Name, Industry, AnnualRevenue, NumberOfEmployees, "
    "LastActivityDate, CreatedDate, IsDeleted FROM Account";

class CountingSink final : public table::RowSink {
 public:
  Status begin(const table::TableHeader&) override { return {}; }
  Status row(std::span<const table::Cell> cells) override {
    ++rows;
    for (const auto& c : cells) bytes += c.text.size();
    return {};
  }
  Status end(const table::TableFooter&) override { return {}; }
  std::uint64_t rows = 0, bytes = 0;
};

struct Sample {
  double wall = 0, cpu = 0;
  long peak_kib = 0;
  std::uint64_t rows = 0, bytes = 0;
};

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

long peak_rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

void reset_peak_rss() { std::ofstream("/proc/self/clear_refs") << "5"; }

template <class T>
asio::awaitable<void> store_into(asio::awaitable<T> op, std::optional<T>* out) {
  out->emplace(co_await std::move(op));
}

template <class T>
T run(asio::io_context& io, asio::awaitable<T> op) {
  std::optional<T> out;
  std::exception_ptr error;
  asio::co_spawn(io, store_into(std::move(op), &out),
                 [&error](std::exception_ptr e) { error = e; });
  io.restart();
  io.run();
  if (error) std::rethrow_exception(error);
  return std::move(*out);
}

// The floor: the same page requests, no JSON parse (the next URL is found by
// a string search).
asio::awaitable<Status> fetch_pages(Client& client, std::uint64_t* bytes, std::uint64_t* pages) {
  std::string target = client.data_path() + "/query?q=" + url_encode(kSoql);
  for (;;) {
    Result<HttpResponse> r = co_await client.call("GET", target);
    if (!r) co_return std::move(r).status();
    *bytes += r.value().body.size();
    ++*pages;
    static constexpr std::string_view kKey = "\"nextRecordsUrl\":\"";
    const std::string& b = r.value().body;
    auto at = b.find(kKey);
    if (at == std::string::npos) co_return Status();
    at += kKey.size();
    target = b.substr(at, b.find('"', at) - at);
  }
}

template <class F>
Sample measure(F&& body) {
  reset_peak_rss();
  Sample s;
  const double cpu0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  body(s);
  s.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  s.cpu = cpu_seconds() - cpu0;
  s.peak_kib = peak_rss_kib();
  return s;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

void report(const char* name, const std::vector<Sample>& runs) {
  std::vector<double> wall, cpu, peak;
  for (const auto& s : runs) {
    wall.push_back(s.wall);
    cpu.push_back(s.cpu);
    peak.push_back(static_cast<double>(s.peak_kib));
  }
  const double rows = static_cast<double>(runs.front().rows);
  std::printf(
      "%-8s rows=%.0f  wall=%.2fs  rows/s=%.0f  cpu=%.2fs  cpu-rows/s=%.0f  peakRSS=%.1fMB\n", name,
      rows, median(wall), rows / median(wall), median(cpu), rows / median(cpu),
      median(peak) / 1024.0);
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t rows = 1'000'000;
  int runs = 5;
  std::string sim_path = REPORTD_DEFAULT_SIM;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--rows"))
      rows = std::stoull(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--runs"))
      runs = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--sim"))
      sim_path = argv[i + 1];
  }
  bench::SimProcess sim(sim_path, {"--rows-account", std::to_string(rows)});
  asio::io_context io;
  ClientOptions options;
  options.login_url = sim.login_url;
  options.transport.ca_file = sim.ca_file;
  std::string refresh = sim.refresh_token;
  struct Store {
    std::string token;
    std::string secret;
    asio::awaitable<Result<std::string>> load() { co_return token; }
    asio::awaitable<Result<std::string>> load_secret() { co_return secret; }
  } store{refresh, sim.client_secret};
  RefreshTokenCredential cred;
  cred.client_id = sim.client_id;
  cred.load_client_secret = [&store] { return store.load_secret(); };
  cred.load_refresh_token = [&store] { return store.load(); };
  auto created = Client::create(io.get_executor(), options, cred);
  if (!created) {
    std::fprintf(stderr, "%s\n", created.status().message().c_str());
    return 1;
  }
  Client& client = *created.value();

  // JSON micro-benchmark on one 2,000-row page.
  Result<HttpResponse> page =
      run(io, client.call("GET", client.data_path() + "/query?q=" + url_encode(kSoql)));
  if (!page) {
    std::fprintf(stderr, "%s\n", page.status().message().c_str());
    return 1;
  }
  const std::string body = page.value().body;
  constexpr int kReps = 50;
  auto t0 = std::chrono::steady_clock::now();
  std::size_t sink_guard = 0;
  for (int i = 0; i < kReps; ++i) sink_guard += boost::json::parse(body).as_object().size();
  const double dom = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  QueryPageParser parser(parse_select_list(kSoql).value());
  CountingSink micro;
  t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kReps; ++i) (void)parser.parse(body, micro);
  const double sax = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double page_rows = static_cast<double>(micro.rows) / kReps;
  std::printf(
      "page: %.0f rows, %zu bytes; Boost.JSON DOM parse %.2f ms/page (%.0f rows/s); "
      "SAX into RowSink %.2f ms/page (%.0f rows/s) [%zu]\n",
      page_rows, body.size(), dom / kReps * 1e3, page_rows * kReps / dom, sax / kReps * 1e3,
      page_rows * kReps / sax, sink_guard);
#ifdef REPORTD_HAVE_SIMDJSON
  {
    // The page with simdjson's padding behind it (a body read for it would
    // reserve that room), then the same rows into the same kind of sink.
    std::string padded = body;
    padded.reserve(body.size() + simdjson::SIMDJSON_PADDING);
    bench::OnDemandPage od(parse_select_list(kSoql).value());
    CountingSink od_sink;
    t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kReps; ++i)
      (void)od.parse(simdjson::padded_string_view(padded.data(), padded.size(), padded.capacity()),
                     od_sink);
    const double ond = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf(
        "simdjson On-Demand into RowSink %.2f ms/page (%.0f rows/s); SAX/On-Demand %.2fx; "
        "cell bytes %llu vs SAX %llu\n",
        ond / kReps * 1e3, static_cast<double>(od_sink.rows) / ond, sax / ond,
        static_cast<unsigned long long>(od_sink.bytes),
        static_cast<unsigned long long>(micro.bytes));
  }
#endif

  std::vector<Sample> floor_runs, client_runs;
  for (int r = 0; r < runs; ++r) {
    floor_runs.push_back(measure([&](Sample& s) {
      std::uint64_t pages = 0;
      Status st = run(io, fetch_pages(client, &s.bytes, &pages));
      if (!st.ok()) std::fprintf(stderr, "floor: %s\n", st.message().c_str());
      s.rows = rows;
    }));
    client_runs.push_back(measure([&](Sample& s) {
      CountingSink sink;
      Status st = run(io, client.query(kSoql, false, sink));
      if (!st.ok()) std::fprintf(stderr, "query: %s\n", st.message().c_str());
      s.rows = sink.rows;
      s.bytes = sink.bytes;
    }));
    std::printf("run %d: floor %.2fs wall %.2fs cpu | client %.2fs wall %.2fs cpu %.1fMB peak\n",
                r + 1, floor_runs.back().wall, floor_runs.back().cpu, client_runs.back().wall,
                client_runs.back().cpu, static_cast<double>(client_runs.back().peak_kib) / 1024.0);
    std::fflush(stdout);
  }
  std::printf("median of %d runs (this process only; the simulator runs in another):\n", runs);
  report("floor", floor_runs);
  report("client", client_runs);
  std::printf("client/floor: wall %.2fx, cpu %.2fx\n",
              median([&] {
                std::vector<double> v;
                for (auto& s : client_runs) v.push_back(s.wall);
                return v;
              }()) /
                  median([&] {
                    std::vector<double> v;
                    for (auto& s : floor_runs) v.push_back(s.wall);
                    return v;
                  }()),
              median([&] {
                std::vector<double> v;
                for (auto& s : client_runs) v.push_back(s.cpu);
                return v;
              }()) /
                  median([&] {
                    std::vector<double> v;
                    for (auto& s : floor_runs) v.push_back(s.cpu);
                    return v;
                  }()));
  return 0;
}
