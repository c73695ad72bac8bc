#include "crypto/key_ring.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace reportd::crypto {
namespace {

std::string temp_path(const char* name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("reportd-keytest-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

TEST_CASE("keys: a generated key file round-trips, first key primary") {
  REQUIRE(init_sodium());
  std::string path = temp_path("two.key");
  std::remove(path.c_str());
  MasterKey a = generate_key(), b = generate_key();
  REQUIRE(write_key_file(path, {&a, &b}, false).ok());
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  Result<KeyRing> ring = load_key_file(path);
  REQUIRE(ring.ok());
  CHECK(ring->keys().size() == 2);
  CHECK(ring->primary().id == a.id);
  CHECK(ring->find(b.id) != nullptr);
  CHECK(std::equal(ring->primary().key.bytes().begin(), ring->primary().key.bytes().end(),
                   a.key.bytes().begin()));
  // No clobbering without replace.
  CHECK(write_key_file(path, {&a}, false).kind() == ErrorKind::kAlreadyExists);
  std::remove(path.c_str());
}

TEST_CASE("keys: a key file with mode 0644 is refused with the chmod to run") {
  REQUIRE(init_sodium());
  std::string path = temp_path("open.key");
  std::remove(path.c_str());
  MasterKey a = generate_key();
  REQUIRE(write_key_file(path, {&a}, false).ok());
  ::chmod(path.c_str(), 0644);
  Result<KeyRing> ring = load_key_file(path);
  REQUIRE_FALSE(ring.ok());
  CHECK(ring.status().message().find("mode 0644") != std::string::npos);
  CHECK(ring.status().message().find("chmod 600 " + path) != std::string::npos);
  std::remove(path.c_str());
}

TEST_CASE("keys: malformed lines name the line and the problem") {
  REQUIRE(init_sodium());
  std::string path = temp_path("bad.key");
  auto write = [&](const std::string& text) {
    std::remove(path.c_str());
    std::ofstream(path) << text;
    ::chmod(path.c_str(), 0600);
  };
  write("# comment\nnot-a-key\n");
  CHECK(load_key_file(path).status().message().find(":2:") != std::string::npos);
  write("ABCDEFGH AAAA\n");
  CHECK(load_key_file(path).status().message().find("8 lowercase hex") != std::string::npos);
  write("0123abcd AAAA\n");
  CHECK(load_key_file(path).status().message().find("exactly 32 bytes") != std::string::npos);
  write("# only a comment\n");
  CHECK(load_key_file(path).status().message().find("holds no key") != std::string::npos);
  std::remove(path.c_str());
  CHECK(load_key_file(path).status().kind() == ErrorKind::kNotFound);
}

TEST_CASE("keys: with no key source the error says how to provide one") {
  Result<KeyRing> r = load_keys({});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("--key-file") != std::string::npos);
  CHECK(r.status().message().find("CREDENTIALS_DIRECTORY") != std::string::npos);
}

}  // namespace
}  // namespace reportd::crypto
