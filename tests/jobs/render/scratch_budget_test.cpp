// The per-run caps and the process-wide scratch budget, with several runs'
// scratches reserving at once (threads, as runs grow theirs on the event
// loop and on the render thread).
#include "jobs/render/scratch_budget.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <latch>
#include <memory>
#include <thread>
#include <vector>

#include "jobs/render/scratch.hpp"

namespace reportd::render {
namespace {

std::unique_ptr<Scratch> open_scratch(std::uint64_t cap, ScratchBudget* budget) {
  ScratchOptions o;
  o.cap_bytes = cap;
  o.budget = budget;
  auto s = Scratch::open(o);
  REQUIRE(s.ok());
  return std::move(s).value();
}

TEST_CASE("budget: reservations past the cap fail and take nothing") {
  ScratchBudget b(100);
  CHECK(b.reserve(60));
  CHECK(!b.reserve(41));
  CHECK(b.used() == 60);
  CHECK(b.reserve(40));
  b.release(70);
  CHECK(b.used() == 30);
  CHECK(b.high_water() == 100);
  ScratchBudget none(0);  // no cap: counts only
  CHECK(none.reserve(1ull << 40));
}

TEST_CASE("budget: three runs' scratches together stay under it; a freed run makes room") {
  ScratchBudget b(250);
  auto r1 = open_scratch(100, &b);
  auto r2 = open_scratch(100, &b);
  auto r3 = open_scratch(100, &b);
  auto f1 = *r1->create("a", "x");
  auto f2 = *r2->create("a", "x");
  auto f3 = *r3->create("a", "x");
  REQUIRE(f1->append(std::string(100, 'a')).ok());
  REQUIRE(f2->append(std::string(100, 'b')).ok());
  Status st = f3->append(std::string(60, 'c'));
  CHECK(st.kind() == ErrorKind::kPermanent);
  CHECK(st.code() == "too-large");
  CHECK(st.message().find("limits.scratch_budget_bytes") != std::string::npos);
  CHECK(r3->used_bytes() == 0);
  CHECK(f3->append(std::string(50, 'c')).ok());
  CHECK(b.used() == 250);
  r1->dispose();
  CHECK(b.used() == 150);
  CHECK(f3->append(std::string(50, 'c')).ok());  // r3 now holds its own cap
  CHECK(b.high_water() == 250);
  r2.reset();
  r3.reset();
  CHECK(b.used() == 0);
}

TEST_CASE("budget: concurrent runs never hold more than it, and give everything back") {
  constexpr std::uint64_t kBudget = 64 * 1024;
  ScratchBudget b(kBudget);
  std::vector<std::uint64_t> held(6, 0);
  std::vector<std::thread> runs;
  // Every run keeps what it holds until all have filled the budget.
  std::latch filled(static_cast<std::ptrdiff_t>(held.size()));
  for (std::size_t i = 0; i < held.size(); ++i) {
    runs.emplace_back([&b, &held, &filled, i] {
      struct Arrive {
        std::latch& l;
        ~Arrive() { l.arrive_and_wait(); }
      };
      ScratchOptions o;
      o.cap_bytes = kBudget / 2;  // each alone could take half
      o.budget = &b;
      auto s = Scratch::open(o);
      Arrive arrive{filled};  // destroyed before the Scratch
      if (!s.ok()) return;
      auto f = (*s)->create("out", "x");
      if (!f.ok()) return;
      std::string chunk(512, 'x');
      while ((*f)->append(chunk).ok()) {
      }
      held[i] = (*s)->used_bytes();
    });
  }
  for (auto& t : runs) t.join();
  std::uint64_t total = 0;
  for (auto h : held) total += h;
  CHECK(total <= kBudget);
  CHECK(total > kBudget - 6 * 512);  // they filled it between them
  CHECK(b.high_water() <= kBudget);
  CHECK(b.used() == 0);  // every Scratch released what it held
}

TEST_CASE("scratch: each run has its own temp directory, and its open files count") {
  ScratchBudget b(0);
  auto s = open_scratch(1 << 20, &b);
  auto other = open_scratch(1 << 20, &b);
  std::string dir = s->tmpdir();
  CHECK(dir != other->tmpdir());
  struct stat st {};
  REQUIRE(::stat(dir.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  // As the XLSX writer does: make a temp file, unlink it, keep writing.
  std::string name = dir + "/tmpXXXXXX";
  int fd = ::mkstemp(name.data());
  REQUIRE(fd >= 0);
  ::unlink(name.c_str());
  std::string bytes(5000, 'z');
  REQUIRE(::write(fd, bytes.data(), bytes.size()) == 5000);
  CHECK(s->tmpdir_bytes() == 5000);
  CHECK(other->tmpdir_bytes() == 0);
  REQUIRE(s->account_tmpdir().ok());
  CHECK(s->used_bytes() == 5000);
  CHECK(b.used() == 5000);
  ::close(fd);
  REQUIRE(s->account_tmpdir().ok());
  CHECK(s->used_bytes() == 0);
  CHECK(s->high_water_bytes() == 5000);
  s.reset();
  CHECK(::stat(dir.c_str(), &st) != 0);  // removed with the Scratch
}

TEST_CASE("scratch: temp files over the cap fail too-large and stay counted until disposed") {
  ScratchBudget b(0);
  auto s = open_scratch(4000, &b);
  std::string name = s->tmpdir() + "/tmpXXXXXX";
  int fd = ::mkstemp(name.data());
  REQUIRE(fd >= 0);
  ::unlink(name.c_str());
  std::string bytes(5000, 'z');
  REQUIRE(::write(fd, bytes.data(), bytes.size()) == 5000);
  Status st = s->account_tmpdir();
  CHECK(st.code() == "too-large");
  CHECK(st.message().find("limits.scratch_max_bytes") != std::string::npos);
  CHECK(s->used_bytes() == 5000);
  CHECK(b.used() == 5000);
  ::close(fd);
  s->dispose();
  CHECK(b.used() == 0);
}

TEST_CASE("scratch: a reservation counts like bytes until released") {
  ScratchBudget b(1000);
  auto s = open_scratch(1000, &b);
  REQUIRE(s->reserve(600).ok());
  auto f = *s->create("a", "x");
  CHECK(f->append(std::string(500, 'a')).code() == "too-large");
  s->release_reserved();
  CHECK(f->append(std::string(500, 'a')).ok());
  CHECK(b.used() == 500);
}

}  // namespace
}  // namespace reportd::render
