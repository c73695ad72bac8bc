#pragma once
// StoreThread: the one thread that calls the blocking Store, so SQLite never
// runs on the event loop (STYLE.md rule 17). A coroutine on any executor
// co_awaits run(fn); fn(store) runs on the store thread; the coroutine
// resumes on its own executor. Exceptions and work tracking are
// OffloadThread's (offload_thread.hpp): one thrown by fn is rethrown in the
// awaiting coroutine; the destructor waits for every call made so far.

#include <type_traits>
#include <utility>

#include "store/offload_thread.hpp"
#include "store/store.hpp"

namespace reportd::store {

class StoreThread {
 public:
  // Results of writing calls go through the store's completion gate, if it
  // has one (group commit: store/wal_syncer.hpp).
  explicit StoreThread(Store& store) : store_(store) { thread_.set_gate(store.completion_gate()); }

  // The store thread's executor, for tests that queue work behind a call.
  boost::asio::any_io_executor executor() { return thread_.executor(); }

  // Runs fn(store) on the store thread and returns what it returns.
  template <class F>
  boost::asio::awaitable<std::invoke_result_t<F&, Store&>> run(F fn) {
    Store* s = &store_;
    auto bound = [s, fn = std::move(fn)]() mutable { return fn(*s); };
    co_return co_await thread_.run(std::move(bound));
  }

  // As run(), ahead of the calls queued and not yet started
  // (OffloadThread::run_first): a write whose delay is a window.
  template <class F>
  boost::asio::awaitable<std::invoke_result_t<F&, Store&>> run_first(F fn) {
    Store* s = &store_;
    auto bound = [s, fn = std::move(fn)]() mutable { return fn(*s); };
    co_return co_await thread_.run_first(std::move(bound));
  }

 private:
  Store& store_;
  OffloadThread thread_;
};

}  // namespace reportd::store
