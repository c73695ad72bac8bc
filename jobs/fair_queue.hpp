#pragma once
// FairQueue: occurrences waiting for a run slot, one FIFO per org, served
// round-robin across orgs so one org with 500 due schedules cannot starve the
// others. Plain data; the scheduler uses it on its executor only.

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <unordered_map>

namespace reportd::jobs {

template <class T>
class FairQueue {
 public:
  void push(std::int64_t org, T item) {
    auto& q = queues_[org];
    if (q.empty()) rotation_.push_back(org);
    q.push_back(std::move(item));
    ++size_;
  }

  // The next item of the first org, in round-robin order, that `can_run`
  // accepts; that org then goes to the back of the rotation.
  std::optional<T> pop(const std::function<bool(std::int64_t org)>& can_run) {
    for (std::size_t i = 0; i < rotation_.size(); ++i) {
      const std::int64_t org = rotation_.front();
      rotation_.pop_front();
      if (!can_run(org)) {
        rotation_.push_back(org);
        continue;
      }
      auto& q = queues_[org];
      T item = std::move(q.front());
      q.pop_front();
      --size_;
      if (q.empty()) queues_.erase(org);
      else rotation_.push_back(org);
      return item;
    }
    return std::nullopt;
  }

  std::size_t size() const { return size_; }
  std::size_t size(std::int64_t org) const {
    auto it = queues_.find(org);
    return it == queues_.end() ? 0 : it->second.size();
  }

 private:
  std::unordered_map<std::int64_t, std::deque<T>> queues_;
  std::deque<std::int64_t> rotation_;  // orgs with waiting items
  std::size_t size_ = 0;
};

}  // namespace reportd::jobs
