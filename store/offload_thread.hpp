#pragma once
// OffloadThread: the one way off the event loop (STYLE.md rule 17). Owns a
// one-thread pool. A coroutine on any executor co_awaits run(fn); fn runs on
// the thread, one call at a time, in order; the coroutine resumes on its own
// executor, so the loop's objects are touched only by the loop. StoreThread
// (store_thread.hpp) owns one for SQLite; the run pipeline owns one for CPU
// work (XLSX and zip assembly, the zip fallback's deflate).
//
// Order: calls run in the order made, except that run_first() calls run
// before every run() call not yet started.
// Exceptions: one thrown by fn (a bug) is caught on the thread and rethrown
// in the awaiting coroutine.
// Work tracking: while a call is outstanding, the awaiting coroutine's
// executor counts it as work (its io_context does not run out before the
// coroutine resumes) and the pool counts it too (join() and the destructor
// wait for it). After join() starts, run() must not be called.
// Group commit: with a CompletionGate set (set_gate(), before the first
// call), a call that wrote is handed to the gate, which sends its result
// home once what it wrote is durable; the thread goes on meanwhile.

#include <atomic>
#include <cstddef>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "table/status.hpp"

namespace reportd::store {

// Holds results back until what their calls wrote is durable (WalSyncer).
// mark() and hold() run on the OffloadThread's thread, around each call.
class CompletionGate {
 public:
  // A call's result on its way home; release() sends it (from any thread).
  // `durable` is an error when the writes could not be made durable: a
  // Status or Result result that was ok then carries it.
  struct Held {
    virtual ~Held() = default;
    virtual void release(const Status& durable) = 0;
  };
  virtual ~CompletionGate() = default;
  // Before a call: what has been written so far.
  virtual std::uint64_t mark() = 0;
  // After the call: takes `held` and returns true when the call wrote since
  // `before`; false leaves `held` to be released at once.
  virtual bool hold(std::uint64_t before, std::unique_ptr<Held>& held) = 0;
};

class OffloadThread {
 public:
  OffloadThread() = default;
  ~OffloadThread() { join(); }
  OffloadThread(const OffloadThread&) = delete;
  OffloadThread& operator=(const OffloadThread&) = delete;

  // The thread's executor, for tests that queue work behind a call.
  boost::asio::any_io_executor executor() { return pool_.get_executor(); }

  // Group commit from the next call on (see above); `gate` outlives the
  // thread's calls. Null: results go home as soon as their call returns.
  void set_gate(CompletionGate* gate) { gate_.store(gate); }

  // Calls started and not yet handed back to their coroutine's executor.
  std::size_t outstanding() const { return outstanding_.load(); }

  // Waits until every call made so far has run and its result has been
  // posted to the awaiting coroutine's executor; then the thread ends.
  void join() { pool_.join(); }

  // Runs fn() on the thread and returns what it returns (void too).
  template <class F>
  boost::asio::awaitable<std::invoke_result_t<F&>> run(F fn) {
    co_return co_await call(std::move(fn), false);
  }

  // As run(), but fn runs as soon as the call running now (if any) ends,
  // ahead of every run() call queued behind it: for the one write whose
  // delay is a window (a delivery's `sent` after the relay's 250).
  template <class F>
  boost::asio::awaitable<std::invoke_result_t<F&>> run_first(F fn) {
    co_return co_await call(std::move(fn), true);
  }

 private:
  // A call waiting in first_, type-erased (its handler is move-only).
  struct Queued {
    virtual ~Queued() = default;
    virtual void run() = 0;
  };
  template <class Job>
  struct QueuedJob final : Queued {
    explicit QueuedJob(Job j) : job(std::move(j)) {}
    void run() override { job(); }
    Job job;
  };

  template <class F>
  boost::asio::awaitable<std::invoke_result_t<F&>> call(F fn, bool first) {
    using R = std::invoke_result_t<F&>;
    using Slot = std::conditional_t<std::is_void_v<R>, std::monostate, R>;
    std::optional<Slot> r = co_await boost::asio::async_initiate<
        const boost::asio::use_awaitable_t<>, void(std::exception_ptr, std::optional<Slot>)>(
        Initiate<R, Slot>{this, first}, boost::asio::use_awaitable, std::move(fn));
    if constexpr (std::is_void_v<R>) {
      (void)r;
      co_return;
    } else {
      co_return std::move(*r);
    }
  }

  // On the thread, before each call: the run_first() calls waiting.
  void run_queued_first() {
    for (;;) {
      std::unique_ptr<Queued> next;
      {
        std::lock_guard<std::mutex> lock(first_mutex_);
        if (first_.empty()) return;
        next = std::move(first_.front());
        first_.pop_front();
      }
      next->run();
    }
  }

  template <class Send>
  struct Sender final : CompletionGate::Held {
    explicit Sender(Send s) : send(std::move(s)) {}
    void release(const Status& durable) override { send(durable); }
    Send send;
  };

  template <class R, class Slot>
  struct Initiate {
    OffloadThread* self;
    bool first;
    template <class Handler, class F>
    void operator()(Handler handler, F fn) const {
      namespace asio = boost::asio;
      // The work guards: the caller's executor and the pool both count the
      // call until its result is on its way home.
      auto home = asio::prefer(asio::get_associated_executor(handler),
                               asio::execution::outstanding_work.tracked);
      auto pool = asio::prefer(self->pool_.get_executor(), asio::execution::outstanding_work.tracked);
      std::atomic<std::size_t>* outstanding = &self->outstanding_;
      ++*outstanding;
      auto job = [handler = std::move(handler), fn = std::move(fn), home, pool, outstanding,
                  gate = self->gate_.load()]() mutable {
        std::exception_ptr error;
        std::optional<Slot> out;
        const std::uint64_t before = gate != nullptr ? gate->mark() : 0;
        try {
          if constexpr (std::is_void_v<R>) {
            fn();
            out.emplace();
          } else {
            out.emplace(fn());
          }
        } catch (...) {
          error = std::current_exception();
        }
        // The pool counts this call until its result is on its way home.
        auto send = [handler = std::move(handler), error, out = std::move(out), home, pool,
                     outstanding](const Status& durable) mutable {
          (void)pool;
          if constexpr (requires(const R& r, const Status& st) { r.ok(); R(st); }) {
            if (!durable.ok() && out && out->ok()) out.emplace(durable);
          }
          asio::post(home, [handler = std::move(handler), error, out = std::move(out)]() mutable {
            std::move(handler)(error, std::move(out));
          });
          --*outstanding;
        };
        std::unique_ptr<CompletionGate::Held> held = std::make_unique<Sender<decltype(send)>>(std::move(send));
        if (gate == nullptr || !gate->hold(before, held)) held->release(Status());
      };
      OffloadThread* t = self;
      if (!first) {
        asio::post(pool, [t, job = std::move(job)]() mutable {
          t->run_queued_first();
          job();
        });
        return;
      }
      {
        std::lock_guard<std::mutex> lock(t->first_mutex_);
        t->first_.push_back(std::make_unique<QueuedJob<decltype(job)>>(std::move(job)));
      }
      // Runs it if no call queued before it has taken it already.
      asio::post(pool, [t] { t->run_queued_first(); });
    }
  };

  std::mutex first_mutex_;
  std::deque<std::unique_ptr<Queued>> first_;  // guarded by first_mutex_
  std::atomic<std::size_t> outstanding_{0};
  std::atomic<CompletionGate*> gate_{nullptr};
  boost::asio::thread_pool pool_{1};
};

}  // namespace reportd::store
