#include "jobs/render/scratch.hpp"

#include <dirent.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
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

// The names in `dir`, without "." and "..".
std::set<std::string> names_in(const std::string& dir) {
  std::set<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  REQUIRE(d != nullptr);
  while (const dirent* e = ::readdir(d))
    if (std::string_view(e->d_name) != "." && std::string_view(e->d_name) != "..")
      out.insert(e->d_name);
  ::closedir(d);
  return out;
}

std::string read_all(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  std::string out(1 << 20, '\0');
  ssize_t n = ::pread(fd, out.data(), out.size(), 0);
  ::close(fd);
  REQUIRE(n >= 0);
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// A Scratch whose out_dir is `dir`.
std::unique_ptr<Scratch> scratch_into(const std::string& dir) {
  ScratchOptions o;
  o.out_dir = dir;
  auto s = Scratch::open(o);
  REQUIRE(s.ok());
  return std::move(s).value();
}

void remove_dir(const std::string& dir) {
  for (const auto& n : names_in(dir)) ::unlink((dir + "/" + n).c_str());
  ::rmdir(dir.c_str());
}

TEST_CASE("scratch: a tmpfs out_dir gets each output as an unnamed file that publish links") {
  std::string dir = "/dev/shm/reportd-out-test-XXXXXX";
  REQUIRE(::mkdtemp(dir.data()) != nullptr);
  auto s = scratch_into(dir);
  auto kept = s->create("kept.csv", "text/csv");
  auto failed = s->create("failed.csv", "text/csv");
  REQUIRE((kept.ok() && failed.ok()));
  CHECK((*kept)->in_out_dir());
  REQUIRE((*kept)->append("a,b\r\n1,2\r\n").ok());
  REQUIRE((*failed)->append("MARKER-never-published").ok());
  CHECK(*(*kept)->view() == "a,b\r\n1,2\r\n");
  CHECK(names_in(dir).empty());  // nothing has a name before publish

  REQUIRE((*kept)->publish(dir + "/kept.csv").ok());
  struct stat st {};
  REQUIRE(::stat((dir + "/kept.csv").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  // A name that exists is never replaced.
  Status again = (*failed)->publish(dir + "/kept.csv");
  CHECK(again.kind() == ErrorKind::kIo);
  CHECK(again.message().find("remove it or choose another --out directory") != std::string::npos);

  s->dispose();  // the published file is the caller's: not zeroed; the other is gone
  CHECK(read_all(dir + "/kept.csv") == "a,b\r\n1,2\r\n");
  CHECK(names_in(dir) == std::set<std::string>{"kept.csv"});
  remove_dir(dir);
}

TEST_CASE("scratch: a symlink planted at the published name is not written through") {
  std::string dir = "/dev/shm/reportd-out-test-XXXXXX";
  REQUIRE(::mkdtemp(dir.data()) != nullptr);
  const std::string target = dir + "/target";
  {
    int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    ::close(fd);
  }
  REQUIRE(::symlink(target.c_str(), (dir + "/out.csv").c_str()) == 0);
  auto s = scratch_into(dir);
  auto f = s->create("out.csv", "text/csv");
  REQUIRE(f.ok());
  REQUIRE((*f)->append("x").ok());
  CHECK(!(*f)->publish(dir + "/out.csv").ok());
  CHECK(read_all(target).empty());
  s->dispose();
  remove_dir(dir);
}

TEST_CASE("scratch: an out_dir on a disk keeps the outputs in memfds, and publish copies them") {
  std::string dir = "./reportd-out-test-XXXXXX";  // the test's working directory
  REQUIRE(::mkdtemp(dir.data()) != nullptr);
  if (check_memory_backed(dir).ok()) {
    MESSAGE("the working directory is on a tmpfs: nothing to check here");
    remove_dir(dir);
    return;
  }
  auto s = scratch_into(dir);
  auto f = s->create("a.csv", "text/csv");
  REQUIRE(f.ok());
  CHECK(!(*f)->in_out_dir());
  REQUIRE((*f)->append("1,2\r\n").ok());
  CHECK(names_in(dir).empty());
  REQUIRE((*f)->publish(dir + "/a.csv").ok());
  s->dispose();
  CHECK(read_all(dir + "/a.csv") == "1,2\r\n");
  remove_dir(dir);
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
