#include "jobs/deliver/blocking_runner.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace reportd::deliver {

namespace asio = boost::asio;

asio::awaitable<void> ExecutorRunner::run(std::function<void()> fn) {
  co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(
      [ex = store_executor_](auto handler, std::function<void()> f) {
        asio::post(ex, [f = std::move(f), h = std::move(handler)]() mutable {
          f();
          auto home = asio::get_associated_executor(h);
          asio::post(home, std::move(h));
        });
      },
      asio::use_awaitable, std::move(fn));
}

asio::awaitable<void> InlineRunner::run(std::function<void()> fn) {
  fn();
  co_return;
}

}  // namespace reportd::deliver
