#pragma once
// The store's conformance suite runs on both engines: a TEST_CASE_TEMPLATE
// over Sqlite and Postgres opens fresh_store<E>(). The Postgres cases use
// the database named by REPORTD_TEST_PG_URL, which ctest's store_pg_test
// sets after starting a real PostgreSQL 15 (tests/lib/pg_server.py); without
// it they report themselves skipped and pass.

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "store/store.hpp"

namespace reportd::store {

struct Sqlite {};
struct Postgres {};

// REPORTD_TEST_PG_URL, or empty.
std::string pg_test_url();

// An empty database at the current schema: an in-memory SQLite store, or
// the test PostgreSQL database with its schema dropped and migrated anew;
// nullptr (after a "skipped" message) when E is Postgres and no URL is set.
std::unique_ptr<Store> fresh_sqlite();
std::unique_ptr<Store> fresh_postgres();

// A connection whose sealed token is {1, 2, 3, id}, sealed under `key_id`.
std::int64_t add_conn(Store& s, const std::string& name, const std::string& key_id = "0000aaaa");
// A weekday schedule of `conn` with two formats and two recipients.
Schedule make_schedule(std::int64_t conn, const std::string& name);

template <class E>
std::unique_ptr<Store> fresh_store() {
  if constexpr (std::is_same_v<E, Postgres>) {
    return fresh_postgres();
  } else {
    return fresh_sqlite();
  }
}

}  // namespace reportd::store

TYPE_TO_STRING(reportd::store::Sqlite);
TYPE_TO_STRING(reportd::store::Postgres);
