// RequestQueue: the DoH requests sent but not yet on a connection, oldest
// first, as ids. A request sent again after a refusal goes back in its
// place among them (ids grow with time). An id whose request ended or went
// out meanwhile may stay in it: whoever takes ids skips those.

#ifndef TRR_TRR_TRANSPORT_REQUEST_QUEUE_H_
#define TRR_TRR_TRANSPORT_REQUEST_QUEUE_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

namespace trr {

class RequestQueue {
 public:
  using Id = uint64_t;

  // A request just sent: the newest.
  void PushBack(Id id) { ids_.push_back(id); }
  // A request that waits again: in its place by age.
  void Insert(Id id) {
    ids_.insert(std::lower_bound(ids_.begin(), ids_.end(), id), id);
  }
  std::optional<Id> PopFront() {
    if (ids_.empty()) return std::nullopt;
    const Id id = ids_.front();
    ids_.pop_front();
    return id;
  }
  // Empties the queue, returning what it held, oldest first.
  std::deque<Id> TakeAll() {
    std::deque<Id> all;
    all.swap(ids_);
    return all;
  }
  bool empty() const { return ids_.empty(); }
  size_t size() const { return ids_.size(); }

 private:
  std::deque<Id> ids_;
};

}  // namespace trr

#endif  // TRR_TRR_TRANSPORT_REQUEST_QUEUE_H_
