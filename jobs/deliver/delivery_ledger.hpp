#pragma once
// DeliveryLedger: the delivery ledger (DESIGN.md §4.4) as deliveries use
// it: each row read or written on the store thread and awaited from the
// event loop, so SQLite never runs on the loop. Holds a reference to the
// StoreThread, which outlives it. Methods are event-loop coroutines; await
// each one before the next (one row change is durable before the next side
// effect).

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <string>

#include "store/records.hpp"
#include "store/store_thread.hpp"
#include "table/status.hpp"

namespace reportd::deliver {

// When a write ran on the store thread (steady clock): it started (the
// writes ahead of it done), and its commit returned (durable).
struct WriteTimes {
  std::chrono::steady_clock::time_point started;
  std::chrono::steady_clock::time_point committed;
};

class DeliveryLedger {
 public:
  explicit DeliveryLedger(store::StoreThread& store) : store_(store) {}

  // The row of (run, channel, recipient): created pending with `message_id`
  // when new, else returned as an earlier attempt left it.
  boost::asio::awaitable<Result<store::Delivery>> ensure(std::int64_t run_id,
                                                         store::DeliveryChannel channel,
                                                         std::string recipient,
                                                         std::string message_id,
                                                         std::int64_t now_ms);
  // ensure(), then, unless the row is `sent` already with a
  // ContentDocumentId (an upload an earlier attempt finished), the row
  // marked `sending` at `now_ms`: both in one store call and one
  // transaction, so the `sending` row is durable before the caller's upload
  // (one commit, not two). Returns the row as saved.
  boost::asio::awaitable<Result<store::Delivery>> ensure_sending(std::int64_t run_id,
                                                                 store::DeliveryChannel channel,
                                                                 std::string recipient,
                                                                 std::int64_t now_ms);
  // Saves the row (by id), durably.
  boost::asio::awaitable<Status> update(store::Delivery row);
  // As update(), ahead of the store work queued by other runs: a `sent`
  // right after the relay's 250, where each millisecond of delay is one in
  // which a kill makes a duplicate. `times`, when given, is filled in on the
  // store thread before the call returns.
  boost::asio::awaitable<Status> update_first(store::Delivery row, WriteTimes* times = nullptr);

 private:
  store::StoreThread& store_;
};

}  // namespace reportd::deliver
