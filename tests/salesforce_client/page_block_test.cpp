// The page block (DESIGN.md §4.5): a query inflates each page over the
// previous page's block, which is not zeroed between pages, so every way
// that drops the block must zero it. This binary replaces the global
// operator delete: while `g_watch` is set, each freed allocation of at least
// 1 KiB is searched for the marker the simulator plants in record values
// (or the unit cases below in their blocks), and one that holds it is
// counted as a page freed unwiped.
#include <doctest/doctest.h>
#include <malloc.h>
#include <zlib.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

#include "gzip_of.hpp"
#include "salesforce_client/inflate.hpp"
#include "sim_fixture.hpp"

using namespace reportd;
using namespace reportd::salesforce;
using namespace reportd::salesforce::testing;
namespace asio = boost::asio;

namespace {
constexpr std::string_view kMarker = "PAGEBLOCK-MARK-7Q";
std::atomic<bool> g_watch{false};
std::atomic<int> g_unwiped{0};

void check_freed(void* p) {
  if (p == nullptr || !g_watch.load(std::memory_order_relaxed)) return;
  const std::size_t n = malloc_usable_size(p);
  if (n >= 1024 && memmem(p, n, kMarker.data(), kMarker.size()) != nullptr) ++g_unwiped;
}

// Counts the pages freed unwiped while it lives.
struct Watch {
  Watch() {
    g_unwiped = 0;
    g_watch = true;
  }
  ~Watch() { g_watch = false; }
  int unwiped() const { return g_unwiped.load(); }
};
}  // namespace

void* operator new(std::size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void operator delete(void* p) noexcept {
  check_freed(p);
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  check_freed(p);
  std::free(p);
}

namespace {

// Hashes every cell's text (FNV-1a, a separator between cells) and counts
// the rows and the cells that hold the marker; allocates nothing.
class HashingSink final : public table::RowSink {
 public:
  Status begin(const table::TableHeader&) override { return {}; }
  Status row(std::span<const table::Cell> cells) override {
    ++rows;
    for (const auto& c : cells) {
      for (char ch : c.text) mix(static_cast<unsigned char>(ch));
      mix(c.type == table::CellType::kNull ? 1 : 0);
      if (c.text.find(kMarker) != std::string_view::npos) ++marked;
    }
    return {};
  }
  Status end(const table::TableFooter&) override {
    ended = true;
    return {};
  }
  void mix(unsigned v) { hash = (hash ^ v) * 1099511628211ull; }

  std::uint64_t hash = 1469598103934665603ull;
  std::uint64_t rows = 0, marked = 0;
  bool ended = false;
};

constexpr const char* kSoql = "SELECT Id, Name, Description, Industry, CreatedDate FROM Account";

struct QueryResult {
  bool ran = false;  // false: the simulator is not built
  Status status;
  HashingSink sink;
  int unwiped = 0;
};

QueryResult query_sim(std::vector<std::string> flags) {
  QueryResult out;
  flags.insert(flags.end(), {"--marker", std::string(kMarker)});
  auto sim = SimProcess::start(std::move(flags));
  if (!sim) return out;
  out.ran = true;
  asio::io_context io;
  TokenStore store;
  auto client = make_client(io, *sim, store);
  Watch watch;
  out.status = run(io, client->query(kSoql, false, out.sink));
  client.reset();
  out.unwiped = watch.unwiped();
  return out;
}

// A block of `size` bytes, the marker all through it: a previous page.
std::string old_page(std::size_t size) {
  std::string block;
  block.reserve(size + kMarker.size());  // not reallocated: nothing freed unwiped here
  while (block.size() < size) block += kMarker;
  block.resize(size);
  return block;
}

}  // namespace

TEST_CASE("page block: pages of every size leave no page unwiped; the rows do not depend on them") {
  // 9,000 rows in pages of 2,000 and of 700 rows: the pages differ in size
  // (a page larger than the block before it, a smaller last page).
  QueryResult big = query_sim({"--rows-account", "9000"});
  QueryResult small = query_sim({"--rows-account", "9000", "--page-size", "700"});
  REQUIRE_MESSAGE(big.status.ok(), big.status.message());
  REQUIRE_MESSAGE(small.status.ok(), small.status.message());
  if (!big.ran) return;
  CHECK(big.sink.rows == 9000);
  CHECK(big.sink.marked > 0);
  CHECK(big.sink.ended);
  CHECK(small.sink.rows == big.sink.rows);
  CHECK(small.sink.hash == big.sink.hash);
  CHECK(big.unwiped == 0);
  CHECK(small.unwiped == 0);
}

TEST_CASE("page block: a query that stops between pages or on a bad page zeroes the block") {
  struct Case {
    std::vector<std::string> flags;
    std::string code;
  };
  const Case cases[] = {
      {{"--rows-account", "9000", "--loop-locator"}, "paging-loop"},  // PageGuard refuses
      {{"--rows-account", "9000", "--invalid-locator"}, "INVALID_QUERY_LOCATOR"},
      {{"--rows-account", "9000", "--cut-body-every", "3"}, ""},  // a page cut mid-body
  };
  for (const auto& c : cases) {
    CAPTURE(c.flags.back());
    QueryResult r = query_sim(c.flags);
    if (!r.ran) continue;
    CHECK(!r.status.ok());
    if (!c.code.empty()) CHECK(r.status.code() == c.code);
    CHECK(r.sink.marked > 0);
    CHECK(r.unwiped == 0);
  }
}

TEST_CASE("page block: gunzip inflates over a used block and zeroes what it drops") {
  std::string plain;
  for (int i = 0; i < 4000; ++i)
    plain += "{\"Name\":\"Account " + std::to_string(i * 7919) + "\"},";
  const std::string packed = gzip_of(plain);
  Watch watch;
  // Smaller than the page: outgrown, zeroed before it is freed.
  auto grown = gunzip(packed, 1 << 24, old_page(plain.size() / 3));
  REQUIRE(grown.ok());
  CHECK(grown.value() == plain);
  // Larger: the page is inflated into it; its old tail stays, past the size.
  auto shrunk = gunzip(packed, 1 << 24, old_page(plain.size() * 2));
  REQUIRE(shrunk.ok());
  CHECK(shrunk.value() == plain);
  CHECK(shrunk.value().capacity() >= plain.size() * 2);
  wipe(shrunk.value());
  // Unused (a zlib stream, a page over the limit, a corrupt member): zeroed.
  std::string zlib_stream(plain.size() + 1024, '\0');
  uLongf zlib_size = zlib_stream.size();
  REQUIRE(compress(reinterpret_cast<Bytef*>(zlib_stream.data()), &zlib_size,
                   reinterpret_cast<const Bytef*>(plain.data()), plain.size()) == Z_OK);
  zlib_stream.resize(zlib_size);
  auto inflated = gunzip(zlib_stream, 1 << 24, old_page(plain.size()));
  REQUIRE(inflated.ok());
  CHECK(inflated.value() == plain);
  CHECK(gunzip(packed, plain.size() - 1, old_page(plain.size())).status().kind() ==
        ErrorKind::kLimit);
  std::string corrupt = packed;
  corrupt[corrupt.size() / 2] = static_cast<char>(corrupt[corrupt.size() / 2] ^ 0x55);
  CHECK(!gunzip(corrupt, 1 << 24, old_page(plain.size())).ok());
  CHECK(watch.unwiped() == 0);
}
