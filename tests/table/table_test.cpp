#include "table/table.hpp"

#include <doctest/doctest.h>

namespace reportd::table {
namespace {

class CountingSink final : public RowSink {
 public:
  Status begin(const TableHeader& h) override {
    columns = h.columns.size();
    return {};
  }
  Status row(std::span<const Cell> cells) override {
    if (fail_at && rows + 1 == fail_at) {
      return Status::error(ErrorKind::kLimit, "too many rows");
    }
    ++rows;
    cells_seen += cells.size();
    return {};
  }
  Status end(const TableFooter& f) override {
    truncated = f.truncated;
    return {};
  }
  std::size_t columns = 0, rows = 0, cells_seen = 0, fail_at = 0;
  bool truncated = false;
};

TEST_CASE("table: TeeSink forwards columns, rows and the footer to every sink") {
  CountingSink a, b;
  TeeSink tee({&a, &b});
  REQUIRE(tee.begin({"Account", {{"Id", "Id"}, {"Name", "Name"}}}).ok());
  Cell cells[] = {Cell::string("001"), Cell::null()};
  REQUIRE(tee.row(cells).ok());
  REQUIRE(tee.end({1, true}).ok());
  CHECK(a.columns == 2);
  CHECK(b.rows == 1);
  CHECK(b.cells_seen == 2);
  CHECK(a.truncated);
}

TEST_CASE("table: TeeSink stops at the first sink that fails and keeps its error") {
  CountingSink a, b;
  a.fail_at = 1;
  TeeSink tee({&a, &b});
  REQUIRE(tee.begin({"t", {{"Id", "Id"}}}).ok());
  Cell cells[] = {Cell::string("x")};
  Status st = tee.row(cells);
  CHECK(st.kind() == ErrorKind::kLimit);
  CHECK(b.rows == 0);
}

TEST_CASE("status: context is prepended, never replaces the cause") {
  Status st = Status::error(ErrorKind::kIo, "disk full").with_context("store: open x.db");
  CHECK(st.message() == "store: open x.db: disk full");
  Result<int> r = Status::error(ErrorKind::kNotFound, "no such schedule");
  CHECK_FALSE(r.ok());
  Result<int> v = 7;
  CHECK(*v == 7);
}

}  // namespace
}  // namespace reportd::table
