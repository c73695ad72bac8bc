#include "jobs/render/scratch.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>

namespace reportd::render {
namespace {

TEST_CASE("scratch: outputs are memfds whose bytes read back through view()") {
  auto s = Scratch::open({});
  REQUIRE(s.ok());
  auto f = (*s)->create("a.txt", "text/plain");
  REQUIRE(f.ok());
  REQUIRE((*f)->append("hello ").ok());
  REQUIRE((*f)->append("world").ok());
  CHECK(*(*f)->view() == "hello world");
  char link[256] = {};
  REQUIRE(::readlink((*f)->path().c_str(), link, sizeof link - 1) > 0);
  CHECK(std::string(link).rfind("/memfd:reportd-scratch", 0) == 0);
  CHECK((*s)->used_bytes() == 11);
}

TEST_CASE("scratch: send_to writes the whole content to another file") {
  auto s = Scratch::open({});
  REQUIRE(s.ok());
  auto f = (*s)->create("a.txt", "text/plain");
  REQUIRE(f.ok());
  std::string content(200 * 1024 + 7, 'c');
  content[100 * 1024] = 'd';
  REQUIRE((*f)->append(content).ok());
  int out = ::memfd_create("send-to-test", MFD_CLOEXEC);
  REQUIRE(out >= 0);
  REQUIRE((*f)->send_to(out).ok());
  std::string back(content.size() + 1, '\0');
  CHECK(::pread(out, back.data(), back.size(), 0) == static_cast<ssize_t>(content.size()));
  back.resize(content.size());
  CHECK(back == content);
  ::close(out);
}

TEST_CASE("scratch: the cap counts every output of the run") {
  ScratchOptions o;
  o.cap_bytes = 10;
  auto s = Scratch::open(o);
  REQUIRE(s.ok());
  auto a = (*s)->create("a", "x");
  auto b = (*s)->create("b", "x");
  REQUIRE((*a)->append("123456").ok());
  Status over = (*b)->append("12345");
  CHECK(over.kind() == ErrorKind::kPermanent);
  CHECK(over.code() == "too-large");
  CHECK(over.message().find("limits.scratch_max_bytes") != std::string::npos);
  CHECK((*b)->append("1234").ok());
}

TEST_CASE("scratch: a write past the run's grant of the nodes' budget is refused, retryable") {
  ScratchBudget node(100);
  ScratchOptions o;
  o.cap_bytes = 50;
  o.budget = &node;
  auto s = Scratch::open(o);
  REQUIRE(s.ok());
  (*s)->set_grant(8);
  auto a = (*s)->create("a", "x");
  REQUIRE((*a)->append("123456").ok());
  Status over = (*a)->append("123");
  CHECK(over.kind() == ErrorKind::kTransient);
  CHECK(over.code() == kScratchStepCode);
  CHECK(over.message().find("limits.scratch_budget_bytes") != std::string::npos);
  CHECK(node.used() == 6);  // nothing taken from the node's budget for it
  (*s)->set_grant(16);      // a step more
  CHECK((*a)->append("123").ok());
  CHECK(node.used() == 9);
}

TEST_CASE("scratch: dispose zeroes the content before closing") {
  auto s = Scratch::open({});
  REQUIRE(s.ok());
  auto f = (*s)->create("a", "x");
  REQUIRE((*f)->append("secret-marker").ok());
  // Keep a second descriptor to look at the memory after dispose.
  int dup = ::open((*f)->path().c_str(), O_RDONLY);
  REQUIRE(dup >= 0);
  (*s)->dispose();
  char buf[32] = {};
  CHECK(::pread(dup, buf, sizeof buf, 0) == 0);  // truncated
  ::close(dup);
  CHECK((*s)->used_bytes() == 0);
}

TEST_CASE("scratch: zero_file overwrites what was written (the XLSX temp files' wipe)") {
  int fd = ::memfd_create("zero-file-test", MFD_CLOEXEC);
  REQUIRE(fd >= 0);
  const std::string marker(100000, 'M');  // more than one block of zeros
  REQUIRE(::pwrite(fd, marker.data(), marker.size(), 0) == static_cast<ssize_t>(marker.size()));
  zero_file(fd, marker.size());
  std::string back(marker.size(), 'x');
  REQUIRE(::pread(fd, back.data(), back.size(), 0) == static_cast<ssize_t>(back.size()));
  CHECK(back == std::string(marker.size(), '\0'));
  ::close(fd);
}

TEST_CASE("scratch: a tmpdir on persistent disk is refused") {
  ScratchOptions o;
  o.tmpdir = "/";
  CHECK(!Scratch::open(o).ok());
  o.tmpdir = "/dev/shm";
  CHECK(Scratch::open(o).ok());
}

}  // namespace
}  // namespace reportd::render
