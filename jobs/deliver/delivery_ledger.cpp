#include "jobs/deliver/delivery_ledger.hpp"

#include <utility>

namespace reportd::deliver {

namespace asio = boost::asio;

asio::awaitable<Result<store::Delivery>> DeliveryLedger::ensure(std::int64_t run_id, store::DeliveryChannel channel,
                                                                std::string recipient, std::string message_id,
                                                                std::int64_t now_ms) {
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary
  // inside a co_await expression twice.
  auto op = [run_id, channel, recipient = std::move(recipient), message_id = std::move(message_id),
             now_ms](store::Store& s) { return s.ensure_delivery(run_id, channel, recipient, message_id, now_ms); };
  co_return co_await store_.run(std::move(op));
}

asio::awaitable<Status> DeliveryLedger::update(store::Delivery row) {
  auto op = [row = std::move(row)](store::Store& s) { return s.update_delivery(row); };
  co_return co_await store_.run(std::move(op));
}

asio::awaitable<Status> DeliveryLedger::update_first(store::Delivery row, WriteTimes* times) {
  // The caller awaits this call, so `times` outlives the op; the result's
  // post back to the caller's executor orders these writes before its reads.
  auto op = [row = std::move(row), times](store::Store& s) {
    if (times != nullptr) times->started = std::chrono::steady_clock::now();
    Status st = s.update_delivery(row);
    if (times != nullptr) times->committed = std::chrono::steady_clock::now();
    return st;
  };
  co_return co_await store_.run_first(std::move(op));
}

}  // namespace reportd::deliver
