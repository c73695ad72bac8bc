#include "daemon/runtime.hpp"

#include "daemon/log.hpp"
#include "store/leased_store.hpp"

namespace reportd::daemon {
namespace {

// A token of another org was refused and the connection marked: the
// operator hears of it in the log (error priority) and by the notice mail.
boost::asio::awaitable<void> tell_org_mismatch(Runtime* runtime, store::Connection c) {
  log::err("connection.org_mismatch",
           {{"connection", c.name}, {"org", c.org_id}, {"error", c.status_reason}});
  const std::int64_t now_ms = runtime->clock.wall_now().time_since_epoch().count();
  // Named: GCC 12 destroys a temporary argument inside co_await twice.
  boost::asio::awaitable<jobs::NoticeOutcome> notice =
      runtime->notices.connection_org_mismatch(c, now_ms);
  jobs::NoticeOutcome told = co_await std::move(notice);
  if (!told.error.empty()) {
    log::warning("notice.failed", {{"connection", c.name}, {"error", told.error}});
  }
}

}  // namespace

jobs::PipelineOptions pipeline_options(const Config& config) {
  jobs::PipelineOptions o;
  o.run_deadline = std::chrono::seconds(config.run_deadline_s);
  o.policy.api_budget_percent = static_cast<int>(config.api_budget_percent);
  o.outputs.scratch.cap_bytes = static_cast<std::uint64_t>(config.scratch_max_bytes);
  o.outputs.max_rows = static_cast<std::uint64_t>(config.max_rows_per_run);
  if (config.smtp) o.from = {config.smtp->from_name, config.smtp->from};
  o.domains = domain_rules(config);
  o.run_as.integration_allowed = config.integration_allowed;
  return o;
}

std::int64_t scratch_first_step(const Config& config) {
  return std::min<std::int64_t>(16ll << 20, config.scratch_max_bytes);
}

jobs::DomainRules domain_rules(const Config& config) {
  return jobs::DomainRules{config.allowed_domains, config.default_allowed_domains};
}

jobs::NoticeOptions notice_options(const Config& config) {
  jobs::NoticeOptions o;
  o.failures_before_pause = static_cast<int>(config.failures_before_pause);
  o.operator_email = config.operator_email;
  o.domains = domain_rules(config);
  if (config.smtp) o.from = {config.smtp->from_name, config.smtp->from};
  return o;
}

static jobs::OrgClientOptions client_options(const Config& config) {
  jobs::OrgClientOptions o{config.salesforce_ca_file, config.api_version,
                           std::chrono::seconds(config.request_timeout_s)};
  o.max_pages = salesforce::max_pages_for_rows(static_cast<std::uint64_t>(config.max_rows_per_run));
  return o;
}

Runtime::Runtime(boost::asio::io_context& io, const Config& config, const crypto::KeyRing& keys,
                 store::Store& store, RunSetup setup)
    : clock(setup.clock != nullptr ? *setup.clock : system_clock_),
      scratch_budget(static_cast<std::uint64_t>(config.scratch_budget_bytes)),
      store_thread(store),
      vault(keys),
      clients(io.get_executor(), store_thread, vault, client_options(config)),
      smtp(config.smtp ? std::make_shared<deliver::SmtpTransport>(*config.smtp) : nullptr),
      notices(store_thread, smtp, notice_options(config)),
      pipeline(io.get_executor(),
               jobs::PipelineDeps{store_thread, clients, clock, timer,
                                  [this] { return smtp; },
                                  setup.scheduled ? &notices : nullptr, setup.observers, {}, &keys},
               [&] {
                 jobs::PipelineOptions o = pipeline_options(config);
                 o.outputs.scratch.budget = &scratch_budget;
                 o.scheduled = setup.scheduled;
                 o.dry_run_dir = std::move(setup.dry_run_dir);
                 // Several nodes: [limits] hold for all of them together.
                 auto* leased = dynamic_cast<store::LeasedStore*>(&store);
                 if (setup.scheduled && leased != nullptr && leased->leases().shared()) {
                   o.cluster_org_limit = static_cast<int>(config.max_runs_per_org);
                   o.cluster_global_limit = static_cast<int>(config.max_concurrent_runs);
                   o.cluster_scratch_budget = config.scratch_budget_bytes;
                   o.cluster_scratch_step = scratch_first_step(config);
                 }
                 return o;
               }()) {
  if (auto* leased = dynamic_cast<store::LeasedStore*>(&store)) {
    pipeline.set_lease_guard([leased](std::int64_t run_id) { return leased->may_send(run_id); });
  }
  clients.set_on_org_mismatch(
      [this](store::Connection c) { return tell_org_mismatch(this, std::move(c)); });
}

void Runtime::apply(const Config& config) {
  // A send in flight holds the old transport; it is freed after the last one.
  smtp = config.smtp ? std::make_shared<deliver::SmtpTransport>(*config.smtp) : nullptr;
  pipeline.set_domain_rules(domain_rules(config));
  pipeline.set_run_as_rules(jobs::RunAsRules{config.integration_allowed});
  notices.set_mail(smtp);
  notices.set_options(notice_options(config));
  const jobs::PipelineOptions reloaded = pipeline_options(config);
  pipeline.apply({reloaded.from, reloaded.policy.api_budget_percent});
}

}  // namespace reportd::daemon
