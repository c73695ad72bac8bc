#pragma once
// run_sync: runs one awaitable to completion on an io_context and returns
// its value (rethrowing what it threw), for tests that drive coroutines by hand.

#include <exception>
#include <optional>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <doctest/doctest.h>

namespace reportd::jobs::test {

template <class T>
T run_sync(boost::asio::io_context& io, boost::asio::awaitable<T> a) {
  std::exception_ptr error;
  std::optional<T> out;
  boost::asio::co_spawn(io, std::move(a), [&](std::exception_ptr e, T v) {
    error = e;
    out.emplace(std::move(v));
  });
  io.restart();
  io.run();
  if (error) std::rethrow_exception(error);
  return std::move(*out);
}

inline void run_sync(boost::asio::io_context& io, boost::asio::awaitable<void> a) {
  std::exception_ptr error;
  bool done = false;
  boost::asio::co_spawn(io, std::move(a), [&](std::exception_ptr e) {
    error = e;
    done = true;
  });
  io.restart();
  io.run();
  if (error) std::rethrow_exception(error);
  REQUIRE(done);
}

}  // namespace reportd::jobs::test
