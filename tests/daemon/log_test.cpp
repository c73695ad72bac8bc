#include "daemon/log.hpp"

#include <doctest/doctest.h>

namespace reportd::log {
namespace {

TEST_CASE("log: lines carry the journald priority and key=value fields") {
  std::string line = format(Priority::kInfo, "run.done", {{"schedule", "daily"}, {"rows", 42}});
  CHECK(line == "<6>event=run.done schedule=daily rows=42\n");
}

TEST_CASE("log: values that would break parsing are quoted and escaped to one line") {
  std::string line = format(Priority::kErr, "x", {{"error", "a \"b\"\nc=d\x01"}});
  CHECK(line == "<3>event=x error=\"a \\\"b\\\"\\nc=d\\x01\"\n");
}

TEST_CASE("log: a key outside the allowlist is redacted, whatever its value") {
  std::string line = format(Priority::kWarning, "x", {{"record_name", "Acme Corp"},
                                                      {"refresh_token", "5Aep861"}});
  CHECK(line.find("Acme") == std::string::npos);
  CHECK(line.find("5Aep861") == std::string::npos);
  CHECK(line.find("record_name=[redacted]") != std::string::npos);
}

}  // namespace
}  // namespace reportd::log
