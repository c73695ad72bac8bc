#pragma once
// Test helper: runs one awaitable to completion on a private io_context.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <optional>

namespace reportd::testing {

template <class T>
boost::asio::awaitable<void> store_into(boost::asio::awaitable<T> a, std::optional<T>* out) {
  out->emplace(co_await std::move(a));
}

template <class T>
T run_sync(boost::asio::awaitable<T> a) {
  boost::asio::io_context io;
  std::optional<T> out;
  boost::asio::co_spawn(io, store_into(std::move(a), &out), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
  return std::move(*out);
}

}  // namespace reportd::testing
