#pragma once
// StoreThread: the one thread that calls the blocking Store, so SQLite never
// runs on the event loop (STYLE.md rule 17). A coroutine on any executor
// co_awaits run(fn); fn(store) runs on the store thread; the coroutine
// resumes on its own executor. Joins the thread on destruction.

#include <type_traits>
#include <utility>

#include "jobs/offload_thread.hpp"
#include "store/store.hpp"

namespace reportd::jobs {

class StoreThread {
 public:
  explicit StoreThread(store::Store& store) : store_(store) {}

  // The store thread's executor and the store, for helpers that post their
  // own work there (deliver::ExecutorRunner).
  boost::asio::any_io_executor executor() { return thread_.executor(); }
  store::Store& store() { return store_; }

  // Runs fn(store) on the store thread and returns what it returns. An
  // exception from fn (a bug) is rethrown in the awaiting coroutine.
  template <class F>
  boost::asio::awaitable<std::invoke_result_t<F&, store::Store&>> run(F fn) {
    store::Store* s = &store_;
    auto bound = [s, fn = std::move(fn)]() mutable { return fn(*s); };
    co_return co_await thread_.run(std::move(bound));
  }

 private:
  store::Store& store_;
  OffloadThread thread_;
};

}  // namespace reportd::jobs
