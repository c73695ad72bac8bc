// config_fuzz: the config file parser (daemon::parse_config, toml++ and
// every key's check) on arbitrary bytes. Properties: no crash and no
// exception; a refusal is kInvalidArgument (or kNotFound/kIo for a named
// secret file) and names the file; an accepted config is within the ranges
// the README gives.
#include <string>
#include <string_view>

#include "daemon/config.hpp"
#include "fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto c = reportd::daemon::parse_config(text, "fuzz.toml");
  if (!c.ok()) {
    FUZZ_CHECK(c.status().message().find("fuzz.toml") != std::string::npos);
    return 0;
  }
  FUZZ_CHECK(c->max_runs_per_org >= 1 && c->max_runs_per_org <= 1000);
  FUZZ_CHECK(c->max_concurrent_runs >= 1 && c->max_concurrent_runs <= 1000);
  FUZZ_CHECK(c->run_deadline_s >= 10);
  FUZZ_CHECK(c->min_interval_s >= 1);
  FUZZ_CHECK(c->scratch_budget_bytes >= c->scratch_max_bytes);
  FUZZ_CHECK(c->sync_interval_minutes >= 1 && c->sync_interval_minutes <= 1440);
  return 0;
}
