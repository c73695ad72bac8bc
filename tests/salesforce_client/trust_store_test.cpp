// One trust store per CA file for every pool (issue #14), loaded afresh when
// the file changes.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "salesforce_client/trust_store.hpp"

using namespace reportd;
using namespace reportd::salesforce;

namespace {

const char* kSystemBundle = "/etc/ssl/certs/ca-certificates.crt";

std::string temp_path(const char* name) {
  return (std::filesystem::temp_directory_path() /
          ("reportd-trust-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

}  // namespace

TEST_CASE("trust store: one per CA file, shared by every caller") {
  auto system = shared_trust_store("");
  REQUIRE(system.ok());
  CHECK(shared_trust_store("").value() == system.value());
  if (!std::filesystem::exists(kSystemBundle)) return;
  const std::string ca = temp_path("ca.pem");
  std::filesystem::copy_file(kSystemBundle, ca, std::filesystem::copy_options::overwrite_existing);
  auto first = shared_trust_store(ca);
  REQUIRE(first.ok());
  CHECK(first.value() != system.value());
  CHECK(shared_trust_store(ca).value() == first.value());
  // Replaced on disk (a new inode, as a rename leaves it): loaded afresh.
  const std::string next = temp_path("ca.pem.new");
  std::filesystem::copy_file(kSystemBundle, next, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::rename(next, ca);
  auto second = shared_trust_store(ca);
  REQUIRE(second.ok());
  CHECK(second.value() != first.value());
  std::filesystem::remove(ca);
}

TEST_CASE("trust store: a missing or non-PEM CA file fails, and is not kept") {
  auto missing = shared_trust_store("/nonexistent/reportd-ca.pem");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().kind() == ErrorKind::kInvalidArgument);
  CHECK(missing.status().code() == "ca-file");
  const std::string junk = temp_path("junk.pem");
  std::ofstream(junk) << "not a certificate\n";
  auto bad = shared_trust_store(junk);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("expected PEM certificates") != std::string::npos);
  if (std::filesystem::exists(kSystemBundle)) {
    std::filesystem::copy_file(kSystemBundle, junk, std::filesystem::copy_options::overwrite_existing);
    CHECK(shared_trust_store(junk).ok());
  }
  std::filesystem::remove(junk);
}
