#pragma once
// Runtime: the object graph that runs reports, built once from the config,
// the keys and the store, for `reportd serve` and `reportd run --now`:
// store thread, vault, one Salesforce client per org, the mail transport and
// the run pipeline. Lives in the caller's frame; everything on one io_context.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "crypto/vault.hpp"
#include "daemon/config.hpp"
#include "jobs/clock.hpp"
#include "jobs/deliver/mail_transport.hpp"
#include "jobs/org_clients.hpp"
#include "jobs/render/scratch_budget.hpp"
#include "jobs/run_pipeline.hpp"
#include "store/store_thread.hpp"
#include "jobs/timer.hpp"

namespace reportd::daemon {

// How the runtime's pipeline runs: `serve` runs scheduled occurrences and
// tells its observers; `run --now` may write a dry run's files instead.
struct RunSetup {
  std::string dry_run_dir;
  bool scheduled = false;  // serve: pauses, the API budget and failure notices apply
  std::vector<jobs::RunObserver*> observers;
  jobs::Clock* clock = nullptr;  // runs' and syncs' clock; null: the system clock
};

class Runtime {
 public:
  Runtime(boost::asio::io_context& io, const Config& config, const crypto::KeyRing& keys,
          store::Store& store, RunSetup setup = {});

  // SIGHUP: applies a reloaded config's [smtp] (the relay and the From of
  // report emails and notices), [notices] operator and [limits]
  // failures_before_pause and api_budget_percent to what runs afterwards.
  void apply(const Config& config);

 private:
  jobs::SystemClock system_clock_;

 public:
  jobs::Clock& clock;
  // What every run's scratch holds together (limits.scratch_budget_bytes).
  render::ScratchBudget scratch_budget;
  jobs::SteadyTimer timer;
  store::StoreThread store_thread;
  crypto::Vault vault;
  jobs::OrgClients clients;
  // Null without [smtp]. Shared with each send: one replaced by SIGHUP is
  // freed when the last send that took it finishes.
  std::shared_ptr<deliver::MailTransport> smtp;
  jobs::FailureNotices notices;  // wired into the pipeline by `serve` only
  jobs::RunPipeline pipeline;
};

jobs::PipelineOptions pipeline_options(const Config& config);
jobs::NoticeOptions notice_options(const Config& config);
// Several nodes: what a run holds of [limits] scratch_budget_bytes when it
// is admitted, and each step it takes after (16 MiB, at most scratch_max_bytes).
std::int64_t scratch_first_step(const Config& config);
// [connections.NAME] and [defaults] allowed_domains.
jobs::DomainRules domain_rules(const Config& config);

}  // namespace reportd::daemon
