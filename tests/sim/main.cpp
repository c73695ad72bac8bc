// reportd-sfsim: wires options, PKI, data and routes together, prints the
// base URL and serves until SIGTERM/SIGINT.
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "http_util.hpp"
#include "ids.hpp"
#include "options.hpp"
#include "orgs.hpp"
#include "sim.hpp"
#include "tls.hpp"

#if defined(__SANITIZE_THREAD__)
// libcpp-httplib is a prebuilt Debian library without TSan instrumentation:
// TSan sees the memcpy/memcmp it calls but not all of its synchronisation,
// and reports races between its worker threads that are not ours.
extern "C" const char* __tsan_default_suppressions() {
  return "called_from_lib:libcpp-httplib.so\n";
}
#endif

namespace {

using namespace reportd::sim;

void write_file(const std::filesystem::path& path, const std::string& data, bool secret = false) {
  auto tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << data;
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  if (secret) ::chmod(tmp.c_str(), 0600);
  std::filesystem::rename(tmp, path);
}

// Never writes the --marker text: end-to-end tests scan the disk for it.
std::string org_json(const Sim& sim, const Options& opts, const std::filesystem::path& dir,
                     const std::vector<std::string>& schedules) {
  const OrgInfo& o = sim.org();
  auto kv = [](const char* k, const std::string& v) {
    return std::string("  ") + jstr(k) + ": " + jstr(v);
  };
  std::string sched = "[";
  for (size_t i = 0; i < schedules.size(); ++i) sched += (i ? ", " : "") + jstr(schedules[i]);
  sched += "]";
  std::string out = "{\n";
  for (const auto& line : {kv("login_url", o.base_url),
                           kv("instance_url", o.base_url),
                           kv("client_id", o.client_id),
                           kv("client_secret", o.client_secret),
                           kv("refresh_token", sim.initial_refresh_token()),
                           kv("access_token", sim.initial_access_token()),
                           kv("username", o.username),
                           kv("password", o.password),
                           kv("org_id", o.org_id),
                           kv("user_id", o.user_id),
                           kv("api_version", opts.api_version),
                           kv("redirect_uri", o.redirect_uri),
                           kv("ca_file", (dir / "ca.pem").string()),
                           kv("jwt_key_file", (dir / "jwt_key.pem").string()),
                           kv("jwt_cert_file", (dir / "jwt_cert.pem").string()),
                           kv("report_tabular", make_id("00O", 1)),
                           kv("report_summary", make_id("00O", 2)),
                           kv("report_matrix", make_id("00O", 3)),
                           kv("schedule_object", "Reportd_Schedule__c"),
                           kv("hooks_url", o.base_url + "/__sim")}) {
    out += line + ",\n";
  }
  out += "  \"schedule_ids\": " + sched + ",\n";
  out += "  \"rows\": {\"Account\": " + std::to_string(opts.rows_account) +
         ", \"Contact\": " + std::to_string(opts.rows_contact) +
         ", \"Opportunity\": " + std::to_string(opts.rows_opportunity) + "},\n";
  out += "  \"page_size\": " + std::to_string(opts.page_size) + "\n}\n";
  return out;
}

// The one org of a simulator without --orgs, with its two schedule records.
struct SingleOrg {
  SingleOrg(const Options& opts, const TlsMaterial& tls, const std::string& base)
      : data(config(opts), store),
        sim(opts, tls,
            OrgInfo{base, make_id("00D", opts.org_number), make_id("005", opts.org_number),
                    data.config().username, "sim-password", "3MVG9SimReportdConsumerKey.sfsim",
                    "SimConsumerSecret0123456789", "http://localhost:1717/OauthRedirect"},
            data) {
    const ObjectDef& sched = *find_object("Reportd_Schedule__c");
    // Two complete, valid schedule records owned by the API user. They fire
    // rarely (Mondays 07:00 Berlin, the 1st at 06:30 UTC), so a daemon that
    // syncs them adds no runs to tests about something else.
    const Value owner = Value::str(make_id("005", 0));  // User row 0, the API user (users.hpp)
    schedules = {
        store.insert(
            sched,
            {{"Name", Value::str("Weekly pipeline")},
             {"OwnerId", owner},
             {"Active__c", Value::boolean(true)},
             {"Cron__c", Value::str("0 7 * * MON")},
             {"Time_Zone__c", Value::str("Europe/Berlin")},
             {"Source_Type__c", Value::str("SOQL")},
             {"Query__c", Value::str("SELECT Name, StageName, Amount, CloseDate FROM Opportunity")},
             {"Formats__c", Value::str("CSV;XLSX")},
             {"Recipients__c", Value::str("sales@example.com")}}),
        store.insert(sched, {{"Name", Value::str("Monthly accounts")},
                             {"OwnerId", owner},
                             {"Active__c", Value::boolean(true)},
                             {"Cron__c", Value::str("30 6 1 * *")},
                             {"Time_Zone__c", Value::str("UTC")},
                             {"Source_Type__c", Value::str("Report")},
                             {"Report_Id__c", Value::str(make_id("00O", 1))},
                             {"Formats__c", Value::str("XLSX")},
                             {"Recipients__c", Value::str("ops@example.com")}})};
  }
  static GenConfig config(const Options& opts) {
    GenConfig gen;
    gen.accounts = opts.rows_account;
    gen.contacts = opts.rows_contact;
    gen.opportunities = opts.rows_opportunity;
    gen.marker = opts.marker;
    gen.username = "integration@reportd-sim.example";
    gen.org_number = opts.org_number;
    return gen;
  }
  Store store;
  Dataset data;
  Sim sim;
  std::vector<std::string> schedules;
};

// The listening socket of a bound server (a protected member of httplib::Server).
struct ListenSocket : httplib::Server {
  static int of(httplib::Server& svr) { return (svr.*(&ListenSocket::svr_sock_)).load(); }
};

// Binds svr (0.0.0.0 for many orgs: each has its own loopback address);
// returns the port.
int bind_server(httplib::Server& svr, const Options& opts) {
  const std::uint64_t threads = opts.threads > 0 ? opts.threads : 64 + 2 * opts.orgs;
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  svr.set_keep_alive_max_count(10000);
  // A response's header and body leave in separate writes (TLS records); with
  // Nagle's algorithm on, the body waited for the client's delayed ACK, about
  // 40 ms per response on Linux loopback. Servers that answer APIs, Salesforce's
  // among them, do not add that wait.
  svr.set_tcp_nodelay(true);
  svr.set_keep_alive_timeout(10);
  svr.set_payload_max_length(size_t{1} << 30);
  const std::string host = opts.orgs > 0 ? "0.0.0.0" : opts.listen_host;
  int port = opts.listen_port;
  if (port == 0)
    port = svr.bind_to_any_port(host);
  else if (!svr.bind_to_port(host, port))
    port = -1;
  if (port <= 0) throw std::runtime_error("cannot listen on " + host);
  // cpp-httplib 0.11 listens with a backlog of 5: when a client opened 100
  // connections at once, the kernel dropped the SYNs beyond the accept queue
  // and each of those connections waited for the client's retransmission,
  // 1 s or more (ListenOverflows in /proc/net/netstat). Listening again on the
  // bound socket raises the backlog to the system's limit (somaxconn), as a
  // production server's is.
  if (::listen(ListenSocket::of(svr), SOMAXCONN) != 0)
    throw std::runtime_error("cannot listen on " + host);
  return port;
}

}  // namespace

int main(int argc, char** argv) {
  Options opts;
  bool help = false;
  std::string err;
  if (!parse_options(argc, argv, opts, help, err)) {
    std::cerr << "reportd-sfsim: " << err << "\n\n" << usage_text();
    return 2;
  }
  if (help) {
    std::cout << usage_text();
    return 0;
  }
  // Signals are taken by a waiting thread; block them before any thread starts.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  try {
    std::filesystem::path dir = opts.state_dir;
    std::filesystem::create_directories(dir);
    std::vector<std::string> org_hosts;
    for (std::uint64_t k = 1; k <= opts.orgs; ++k) org_hosts.push_back(OrgSet::host_of(k));
    TlsMaterial tls = generate_tls(opts.listen_host, org_hosts);
    write_file(dir / "ca.pem", to_pem(tls.ca_cert.get()));
    write_file(dir / "jwt_key.pem", to_pem(tls.jwt_key.get()), true);
    write_file(dir / "jwt_cert.pem", to_pem(tls.jwt_cert.get()));

    // Each org's address gets a certificate naming only it (a certificate
    // naming 1,000 addresses cost each client about 80 KiB per connection).
    AddressCerts org_certs(tls, [](const std::string& a) { return a.rfind("127.100.", 0) == 0; });
    httplib::SSLServer svr([&tls, &org_certs, &opts](SSL_CTX& ctx) {
      SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
      if (opts.orgs > 0) org_certs.install(ctx);
      return SSL_CTX_use_certificate(&ctx, tls.server_cert.get()) == 1 &&
             SSL_CTX_use_PrivateKey(&ctx, tls.server_key.get()) == 1 &&
             SSL_CTX_check_private_key(&ctx) == 1;
    });
    if (!svr.is_valid()) throw std::runtime_error("TLS server setup failed");
    const int port = bind_server(svr, opts);
    std::string host = opts.listen_host == "0.0.0.0" ? "127.0.0.1" : opts.listen_host;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    std::string base = "https://" + host + ":" + std::to_string(port);

    std::unique_ptr<SingleOrg> single;
    std::unique_ptr<OrgSet> many;
    if (opts.orgs > 0) {
      many = std::make_unique<OrgSet>(opts, tls, port);
      many->install(svr);
      write_file(dir / "orgs.json", many->orgs_json((dir / "ca.pem").string()), true);
      write_file(dir / "org.json", org_json(many->org(1), opts, dir, {}), true);
    } else {
      single = std::make_unique<SingleOrg>(opts, tls, base);
      single->sim.install(svr);
      write_file(dir / "org.json", org_json(single->sim, opts, dir, single->schedules), true);
    }

    std::atomic<bool> stopping{false};
    std::thread waiter([&] {
      int sig = 0;
      sigwait(&stop_signals, &sig);
      stopping = true;
      svr.stop();
    });
    std::cout << base << std::endl;
    svr.listen_after_bind();
    if (!stopping) pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
  } catch (const std::exception& e) {
    std::cerr << "reportd-sfsim: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
