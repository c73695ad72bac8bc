// Many orgs in one simulator (--orgs N): org k (1..N) answers on its own
// loopback address, 127.100.(k/250).(k%250+1), at the one port, so each is
// its own origin to a client, as each Salesforce org is its own My Domain.
// An org is built on its first request: its own ids, OAuth client and tokens,
// users, written records, fault knobs and marker; one process, one thread pool.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "dataset.hpp"
#include "options.hpp"
#include "sim.hpp"
#include "store.hpp"
#include "tls.hpp"

namespace reportd::sim {

class OrgSet {
 public:
  OrgSet(const Options& opts, const TlsMaterial& tls, int port);
  ~OrgSet();

  /// Org k's address; which org an address is (nullopt: none of ours).
  static std::string host_of(std::uint64_t k);
  std::optional<std::uint64_t> org_at(const std::string& local_addr) const;
  /// Every org's address, for the server certificate.
  std::vector<std::string> hosts() const;

  /// Routes every request to the org its connection's address names.
  /// Refuses clients that are not on loopback (the server listens on 0.0.0.0).
  void install(httplib::Server& svr);
  /// Org k, built on first use.
  Sim& org(std::uint64_t k);
  /// What a client needs to connect to each org: a JSON document.
  std::string orgs_json(const std::string& ca_file) const;

 private:
  struct Org;
  OrgInfo info(std::uint64_t k) const;
  GenConfig gen(std::uint64_t k) const;

  const Options& opts_;
  const TlsMaterial& tls_;
  int port_;
  httplib::Server* svr_ = nullptr;
  std::mutex mu_;
  std::map<std::uint64_t, std::unique_ptr<Org>> orgs_;
};

}  // namespace reportd::sim
