#pragma once
// Runtime: the object graph that runs reports, built once from the config,
// the keys and the store, for `reportd serve` and `reportd run --now`:
// store thread, vault, one Salesforce client per org, the mail transport and
// the run pipeline. Lives in the caller's frame; everything on one io_context.

#include <memory>
#include <optional>

#include <boost/asio/io_context.hpp>

#include "crypto/vault.hpp"
#include "daemon/config.hpp"
#include "jobs/clock.hpp"
#include "jobs/deliver/mail_transport.hpp"
#include "jobs/org_clients.hpp"
#include "jobs/run_pipeline.hpp"
#include "jobs/store_thread.hpp"

namespace reportd::daemon {

class Runtime {
 public:
  Runtime(boost::asio::io_context& io, const Config& config, const crypto::KeyRing& keys,
          store::Store& store, std::string dry_run_dir = {});

  // Applies a reloaded config's mail settings to runs that start afterwards.
  void apply(const Config& config);

  jobs::SystemClock clock;
  jobs::StoreThread store_thread;
  crypto::Vault vault;
  jobs::OrgClients clients;
  std::unique_ptr<deliver::SmtpTransport> smtp;  // null without [smtp]
  jobs::RunPipeline pipeline;
  jobs::FailureNotices notices;  // wired into the pipeline by `serve` only

 private:
  std::vector<std::unique_ptr<deliver::SmtpTransport>> retired_;
};

jobs::PipelineOptions pipeline_options(const Config& config);
jobs::NoticeOptions notice_options(const Config& config);
// [connections.NAME] and [defaults] allowed_domains.
jobs::DomainRules domain_rules(const Config& config);

}  // namespace reportd::daemon
