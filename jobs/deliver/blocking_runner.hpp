#pragma once
// BlockingRunner: runs blocking work (a store call, the zip's deflate) off the
// event loop and resumes the awaiting coroutine on its own executor (STYLE.md
// rule 17). The pipeline gives ExecutorRunners on its store thread and on its
// render thread; tests and the one-shot CLI may run inline.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <functional>

namespace reportd::deliver {

class BlockingRunner {
 public:
  virtual ~BlockingRunner() = default;
  // Runs `fn` to completion; the awaiting coroutine resumes afterwards.
  virtual boost::asio::awaitable<void> run(std::function<void()> fn) = 0;
};

// Runs each call on `store_executor` (e.g. a one-thread pool owning the store).
class ExecutorRunner final : public BlockingRunner {
 public:
  explicit ExecutorRunner(boost::asio::any_io_executor store_executor)
      : store_executor_(std::move(store_executor)) {}
  boost::asio::awaitable<void> run(std::function<void()> fn) override;

 private:
  boost::asio::any_io_executor store_executor_;
};

// Runs each call where the coroutine is (tests, the one-shot CLI).
class InlineRunner final : public BlockingRunner {
 public:
  boost::asio::awaitable<void> run(std::function<void()> fn) override;
};

}  // namespace reportd::deliver
