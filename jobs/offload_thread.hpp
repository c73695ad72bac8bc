#pragma once
// OffloadThread: one thread for blocking work the event loop must not do
// (STYLE.md rule 17). A coroutine on any executor co_awaits run(fn); fn runs
// on the thread; the coroutine resumes on its own executor, so the loop's
// objects are touched only by the loop. Calls run one at a time, in order.
// Owns a one-thread pool and joins it on destruction. StoreThread (SQLite)
// and the renderers' finishing step (XLSX and zip assembly) each use one.

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

namespace reportd::jobs {

class OffloadThread {
 public:
  OffloadThread() = default;
  ~OffloadThread() { pool_.join(); }
  OffloadThread(const OffloadThread&) = delete;
  OffloadThread& operator=(const OffloadThread&) = delete;

  boost::asio::any_io_executor executor() { return pool_.get_executor(); }

  // Runs fn() on the thread and returns what it returns. An exception from
  // fn (a bug) is rethrown in the awaiting coroutine.
  template <class F>
  boost::asio::awaitable<std::invoke_result_t<F&>> run(F fn) {
    using R = std::invoke_result_t<F&>;
    std::optional<R> r = co_await boost::asio::async_initiate<
        const boost::asio::use_awaitable_t<>, void(std::exception_ptr, std::optional<R>)>(
        Initiate<R>{this}, boost::asio::use_awaitable, std::move(fn));
    co_return std::move(*r);
  }

 private:
  template <class R>
  struct Initiate {
    OffloadThread* self;
    template <class Handler, class F>
    void operator()(Handler handler, F fn) const {
      // Keeps the caller's io_context alive while the work runs.
      auto home = boost::asio::prefer(boost::asio::get_associated_executor(handler),
                                      boost::asio::execution::outstanding_work.tracked);
      boost::asio::post(self->pool_, [handler = std::move(handler), fn = std::move(fn),
                                      home]() mutable {
        std::exception_ptr error;
        std::optional<R> out;
        try {
          out.emplace(fn());
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

  boost::asio::thread_pool pool_{1};
};

}  // namespace reportd::jobs
