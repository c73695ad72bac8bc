#include "store/offload_thread.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <exception>
#include <latch>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "store/sqlite_store.hpp"
#include "store/store_thread.hpp"

namespace reportd::store {
namespace {

namespace asio = boost::asio;

// Completion of the spawned test coroutines: a stray exception fails the test.
constexpr auto kRethrow = [](std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
};

// Awaits `fn` on `t` and keeps what it returned, or the message it threw.
template <class F>
asio::awaitable<void> await_into(OffloadThread* t, F fn, std::optional<int>* out, std::string* thrown) {
  try {
    auto op = t->run(std::move(fn));
    out->emplace(co_await std::move(op));
  } catch (const std::runtime_error& e) {
    *thrown = e.what();
  }
}

TEST_CASE("offload: fn runs on the thread and its value comes back on the caller's loop") {
  OffloadThread t;
  asio::io_context io;
  std::optional<int> out;
  std::string thrown;
  std::thread::id ran_on;
  auto fn = [&ran_on] {
    ran_on = std::this_thread::get_id();
    return 42;
  };
  asio::co_spawn(io, await_into(&t, fn, &out, &thrown), kRethrow);
  io.run();  // the call counts as work: run() returns only once it is back
  REQUIRE(out.has_value());
  CHECK(*out == 42);
  CHECK(ran_on != std::this_thread::get_id());
  CHECK(t.outstanding() == 0);
}

TEST_CASE("offload: an exception thrown on the thread is rethrown in the awaiting coroutine") {
  OffloadThread t;
  asio::io_context io;
  std::optional<int> out;
  std::string thrown;
  auto fn = []() -> int { throw std::runtime_error("a bug in the offloaded step"); };
  asio::co_spawn(io, await_into(&t, fn, &out, &thrown), kRethrow);
  io.run();
  CHECK_FALSE(out.has_value());
  CHECK(thrown == "a bug in the offloaded step");
  // The thread survives it: the next call runs.
  auto next = [] { return 7; };
  asio::co_spawn(io, await_into(&t, next, &out, &thrown), kRethrow);
  io.restart();
  io.run();
  CHECK(out == 7);
}

TEST_CASE("offload: a void fn, and calls run one at a time in order") {
  OffloadThread t;
  asio::io_context io;
  std::string order;
  auto append = [](OffloadThread* th, std::string* s, char c) -> asio::awaitable<void> {
    auto op = th->run([s, c] { *s += c; });
    co_await std::move(op);
  };
  for (char c : std::string("abc")) asio::co_spawn(io, append(&t, &order, c), kRethrow);
  io.run();
  CHECK(order == "abc");
}

TEST_CASE("offload: a run_first call goes ahead of the calls queued before it, after the one running") {
  OffloadThread t;
  asio::io_context io;
  std::latch started(1);
  std::latch release(1);
  std::string order;
  auto blocked = [&started, &release, &order] {
    started.count_down();
    release.wait();
    order += 'r';
  };
  auto append = [](OffloadThread* th, std::string* s, char c, bool first) -> asio::awaitable<void> {
    auto fn = [s, c] { *s += c; };
    if (first) {
      auto op = th->run_first(fn);
      co_await std::move(op);
    } else {
      auto op = th->run(fn);
      co_await std::move(op);
    }
  };
  auto block = [](OffloadThread* th, decltype(blocked) fn) -> asio::awaitable<void> {
    auto op = th->run(std::move(fn));
    co_await std::move(op);
  };
  asio::co_spawn(io, block(&t, blocked), kRethrow);
  io.poll();
  started.wait();  // the running call: it holds the thread until released
  for (char c : std::string("ab")) asio::co_spawn(io, append(&t, &order, c, false), kRethrow);
  for (char c : std::string("XY")) asio::co_spawn(io, append(&t, &order, c, true), kRethrow);
  io.poll();  // all four queued behind the running call
  CHECK(t.outstanding() == 5);
  release.count_down();
  io.run();
  CHECK(order == "rXYab");
  CHECK(t.outstanding() == 0);
}

TEST_CASE("offload: outstanding work is counted, and the destructor waits for it") {
  auto t = std::make_unique<OffloadThread>();
  asio::io_context io;
  std::latch release(1);
  std::atomic<bool> finished{false};
  std::optional<int> out;
  std::string thrown;
  auto blocked = [&release, &finished] {
    release.wait();
    finished = true;
    return 1;
  };
  asio::co_spawn(io, await_into(t.get(), blocked, &out, &thrown), kRethrow);
  io.poll();  // the coroutine starts the call and waits for it
  CHECK(t->outstanding() == 1);
  CHECK_FALSE(out.has_value());
  std::thread releaser([&release] { release.count_down(); });
  t.reset();  // joins: returns only after the blocked call has finished
  CHECK(finished);
  releaser.join();
  io.run();  // its result was posted home before the thread ended
  CHECK(out == 1);
}

TEST_CASE("store thread: fn(store) runs there; a throwing fn reaches the caller") {
  auto db = SqliteStore::open(":memory:");
  REQUIRE(db.ok());
  StoreThread st(**db);
  asio::io_context io;
  std::optional<std::size_t> count;
  std::string thrown;
  auto go = [](StoreThread* s, std::optional<std::size_t>* n, std::string* err) -> asio::awaitable<void> {
    auto list = [](Store& store) { return store.list_schedules(); };
    auto listed = s->run(std::move(list));
    auto schedules = co_await std::move(listed);
    if (schedules.ok()) n->emplace(schedules->size());
    try {
      auto bad = [](Store&) -> int { throw std::runtime_error("store bug"); };
      auto failing = s->run(std::move(bad));
      co_await std::move(failing);
    } catch (const std::runtime_error& e) {
      *err = e.what();
    }
  };
  asio::co_spawn(io, go(&st, &count, &thrown), kRethrow);
  io.run();
  CHECK(count == std::size_t{0});
  CHECK(thrown == "store bug");
}

}  // namespace
}  // namespace reportd::store
