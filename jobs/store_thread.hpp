#pragma once
// StoreThread: the one thread that calls the blocking Store, so SQLite never
// runs on the event loop (STYLE.md rule 17). A coroutine on any executor
// co_awaits run(fn); fn runs on the store thread; the coroutine resumes on
// its own executor. Owns a one-thread pool; joins it on destruction.

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "store/store.hpp"

namespace reportd::jobs {

class StoreThread {
 public:
  explicit StoreThread(store::Store& store) : store_(store) {}
  ~StoreThread() { pool_.join(); }
  StoreThread(const StoreThread&) = delete;
  StoreThread& operator=(const StoreThread&) = delete;

  // The store thread's executor and the store, for helpers that post their
  // own work there (deliver::ExecutorStoreRunner).
  boost::asio::any_io_executor executor() { return pool_.get_executor(); }
  store::Store& store() { return store_; }

  // Runs fn(store) on the store thread and returns what it returns. An
  // exception from fn (a bug) is rethrown in the awaiting coroutine.
  template <class F>
  boost::asio::awaitable<std::invoke_result_t<F&, store::Store&>> run(F fn) {
    using R = std::invoke_result_t<F&, store::Store&>;
    std::optional<R> r = co_await boost::asio::async_initiate<
        const boost::asio::use_awaitable_t<>, void(std::exception_ptr, std::optional<R>)>(
        Initiate<R>{this}, boost::asio::use_awaitable, std::move(fn));
    co_return std::move(*r);
  }

 private:
  template <class R>
  struct Initiate {
    StoreThread* self;
    template <class Handler, class F>
    void operator()(Handler handler, F fn) const {
      // Keeps the caller's io_context alive while the store works.
      auto home = boost::asio::prefer(boost::asio::get_associated_executor(handler),
                                      boost::asio::execution::outstanding_work.tracked);
      boost::asio::post(self->pool_, [store = &self->store_, handler = std::move(handler),
                                      fn = std::move(fn), home]() mutable {
        std::exception_ptr error;
        std::optional<R> out;
        try {
          out.emplace(fn(*store));
        } catch (...) {
          error = std::current_exception();
        }
        boost::asio::post(home, [handler = std::move(handler), error,
                                 out = std::move(out)]() mutable {
          std::move(handler)(error, std::move(out));
        });
      });
    }
  };

  store::Store& store_;
  boost::asio::thread_pool pool_{1};
};

}  // namespace reportd::jobs
