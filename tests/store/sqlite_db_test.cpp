// Db keeps prepared statements for reuse (store/sqlite_db.hpp): a statement
// taken again runs as if freshly prepared, with no bound value or row left
// from its last use, and two of the same SQL text can be in use at once.
#include <doctest/doctest.h>

#include <string>

#include "store/sqlite_db.hpp"

namespace reportd::store {

TEST_CASE("sqlite_db: a kept statement comes back reset, its bindings cleared") {
  auto db = Db::open(":memory:");
  REQUIRE(db.ok());
  REQUIRE(db->exec("CREATE TABLE t (k INTEGER, v TEXT)", "create").ok());
  const char* insert = "INSERT INTO t (k, v) VALUES (?, ?)";
  {
    Stmt s(*db, insert);
    s.bind(1, std::int64_t{1}).bind(2, std::string_view("secret"));
    REQUIRE(s.run("insert").ok());
  }
  {
    Stmt s(*db, insert);  // the kept one: nothing bound any more
    REQUIRE(s.run("insert").ok());
  }
  Stmt q(*db, "SELECT k, v FROM t ORDER BY rowid");
  REQUIRE(q.step());
  CHECK(q.int64(0) == 1);
  CHECK(q.text(1) == "secret");
  REQUIRE(q.step());
  CHECK(q.is_null(0));
  CHECK(q.is_null(1));
  CHECK(!q.step());
}

TEST_CASE("sqlite_db: two statements of one SQL text in use at once, then kept") {
  auto db = Db::open(":memory:");
  REQUIRE(db.ok());
  REQUIRE(db->exec("CREATE TABLE t (k INTEGER); INSERT INTO t VALUES (1), (2), (3)", "seed").ok());
  const char* all = "SELECT k FROM t ORDER BY k";
  for (int round = 0; round < 3; ++round) {
    Stmt outer(*db, all);
    int pairs = 0;
    while (outer.step()) {
      Stmt inner(*db, all);  // the same text while `outer` is mid-way
      while (inner.step()) ++pairs;
    }
    CHECK(pairs == 9);
  }
  // A statement left mid-way is reset when kept: a write is not blocked by it.
  {
    Stmt half(*db, all);
    REQUIRE(half.step());
  }
  CHECK(db->exec("DELETE FROM t", "delete").ok());
  Stmt n(*db, "SELECT count(*) FROM t");
  REQUIRE(n.step());
  CHECK(n.int64(0) == 0);
}

}  // namespace reportd::store
