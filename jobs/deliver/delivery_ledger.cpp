#include "jobs/deliver/delivery_ledger.hpp"

#include <optional>
#include <utility>

namespace reportd::deliver {

namespace asio = boost::asio;

asio::awaitable<Result<store::Delivery>> DeliveryLedger::ensure(std::int64_t run_id,
                                                                store::DeliveryChannel channel,
                                                                std::string recipient,
                                                                std::string message_id,
                                                                std::int64_t now_ms) {
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary
  // inside a co_await expression twice.
  auto op = [run_id, channel, recipient = std::move(recipient), message_id = std::move(message_id),
             now_ms](store::Store& s) {
    return s.ensure_delivery(run_id, channel, recipient, message_id, now_ms);
  };
  co_return co_await store_.run(std::move(op));
}

namespace {

// On the store thread: DeliveryLedger::ensure_sending(). A named function
// object (GCC 12 and capturing lambdas in co_await, as above).
struct EnsureSending {
  std::int64_t run_id = 0;
  store::DeliveryChannel channel{};
  std::string recipient;
  std::int64_t now_ms = 0;

  Result<store::Delivery> operator()(store::Store& s) const {
    std::optional<store::Delivery> out;
    // The store's transaction: a LeasedStore fences both writes inside it.
    Status st = s.transaction([&](store::Store& tx) -> Status {
      auto row = tx.ensure_delivery(run_id, channel, recipient, "", now_ms);
      if (!row.ok()) return row.status();
      out = std::move(row).value();
      if (out->state == store::DeliveryState::kSent && !out->content_document_id.empty()) {
        return Status();  // uploaded by an earlier attempt of this run
      }
      out->state = store::DeliveryState::kSending;
      out->updated_at_ms = now_ms;
      return tx.update_delivery(*out);
    });
    if (!st.ok()) return st;
    return std::move(*out);
  }
};

}  // namespace

asio::awaitable<Result<store::Delivery>> DeliveryLedger::ensure_sending(
    std::int64_t run_id, store::DeliveryChannel channel, std::string recipient,
    std::int64_t now_ms) {
  EnsureSending op{run_id, channel, std::move(recipient), now_ms};
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
