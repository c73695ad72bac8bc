// One trust store per CA file for every pool (issue #14), loaded afresh when
// the file changes.
#include "crypto/trust_store.hpp"

#include <doctest/doctest.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "crypto/system_cas.hpp"

using namespace reportd;
using namespace reportd::crypto;

namespace {

const char* kSystemBundle = "/etc/ssl/certs/ca-certificates.crt";

std::string trust_temp_path(const char* name) {
  return (std::filesystem::temp_directory_path() /
          ("reportd-trust-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

// Sets (or, with nullptr, unsets) an environment variable for a scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* was = std::getenv(name)) was_ = was;
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (was_) {
      ::setenv(name_, was_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> was_;
};

// A new store holding the system's CAs as load_system_cas() adds them.
X509_STORE* system_store() {
  X509_STORE* store = X509_STORE_new();
  REQUIRE(load_system_cas(store));
  return store;
}

int objects(X509_STORE* store) { return sk_X509_OBJECT_num(X509_STORE_get0_objects(store)); }

}  // namespace

TEST_CASE("trust store: one per CA file, shared by every caller") {
  auto system = shared_trust_store("", Roots::kSystemAndFile);
  REQUIRE(system.ok());
  CHECK(shared_trust_store("", Roots::kSystemAndFile).value() == system.value());
  if (!std::filesystem::exists(kSystemBundle)) return;
  const std::string ca = trust_temp_path("ca.pem");
  std::filesystem::copy_file(kSystemBundle, ca, std::filesystem::copy_options::overwrite_existing);
  auto first = shared_trust_store(ca, Roots::kSystemAndFile);
  REQUIRE(first.ok());
  CHECK(first.value() != system.value());
  CHECK(shared_trust_store(ca, Roots::kSystemAndFile).value() == first.value());
  // Replaced on disk (a new inode, as a rename leaves it): loaded afresh.
  const std::string next = trust_temp_path("ca.pem.new");
  std::filesystem::copy_file(kSystemBundle, next,
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::rename(next, ca);
  auto second = shared_trust_store(ca, Roots::kSystemAndFile);
  REQUIRE(second.ok());
  CHECK(second.value() != first.value());
  std::filesystem::remove(ca);
}

TEST_CASE("trust store: a missing or non-PEM CA file fails, and is not kept") {
  auto missing = shared_trust_store("/nonexistent/reportd-ca.pem", Roots::kSystemAndFile);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().kind() == ErrorKind::kInvalidArgument);
  CHECK(missing.status().code() == "ca-file");
  const std::string junk = trust_temp_path("junk.pem");
  std::ofstream(junk) << "not a certificate\n";
  auto bad = shared_trust_store(junk, Roots::kSystemAndFile);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("expected PEM certificates") != std::string::npos);
  if (std::filesystem::exists(kSystemBundle)) {
    std::filesystem::copy_file(kSystemBundle, junk,
                               std::filesystem::copy_options::overwrite_existing);
    CHECK(shared_trust_store(junk, Roots::kSystemAndFile).ok());
  }
  std::filesystem::remove(junk);
}

TEST_CASE("trust store: every CA of the system bundle is found by its subject, none read before") {
  // Without SSL_CERT_FILE or SSL_CERT_DIR (as under systemd), the system's
  // CAs are read from the hashed directory when a chain needs one: each
  // certificate of the bundle must be found there.
  if (!std::filesystem::exists(kSystemBundle)) return;
  ScopedEnv file_env(X509_get_default_cert_file_env(), nullptr);
  ScopedEnv dir_env(X509_get_default_cert_dir_env(), nullptr);
  X509_STORE* system = system_store();
  CHECK(objects(system) == 0);
  std::FILE* f = std::fopen(kSystemBundle, "r");
  REQUIRE(f != nullptr);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  int read = 0;
  int found = 0;
  while (X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr)) {
    ++read;
    REQUIRE(X509_STORE_CTX_init(ctx, system, cert, nullptr) == 1);
    // Two CAs may share a subject (their links end .0 and .1): any of them.
    STACK_OF(X509)* same = X509_STORE_CTX_get1_certs(ctx, X509_get_subject_name(cert));
    for (int i = 0; same != nullptr && i < sk_X509_num(same); ++i) {
      if (X509_cmp(sk_X509_value(same, i), cert) == 0) {
        ++found;
        break;
      }
    }
    sk_X509_pop_free(same, X509_free);
    X509_STORE_CTX_cleanup(ctx);
    X509_free(cert);
  }
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(system);
  std::fclose(f);
  CHECK(read > 10);
  CHECK(found == read);
}

TEST_CASE("trust store: a CA file named by the environment is loaded up front, as OpenSSL does") {
  if (!std::filesystem::exists(kSystemBundle)) return;
  ScopedEnv dir_env(X509_get_default_cert_dir_env(), nullptr);
  {
    ScopedEnv file_env(X509_get_default_cert_file_env(), "");  // empty counts as unset
    X509_STORE* store = system_store();
    CHECK(objects(store) == 0);
    X509_STORE_free(store);
  }
  ScopedEnv file_env(X509_get_default_cert_file_env(), kSystemBundle);
  X509_STORE* store = system_store();
  CHECK(objects(store) > 10);
  X509_STORE_free(store);
}
