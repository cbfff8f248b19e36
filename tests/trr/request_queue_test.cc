// RequestQueue: oldest first; a request that waits again goes back in its
// place by age, not at the end.

#include "trr/transport/request_queue.h"

#include <deque>

#include "gtest/gtest.h"

namespace trr {
namespace {

TEST(RequestQueueTest, OldestFirstAndARequeuedOneInItsPlace) {
  RequestQueue q;
  EXPECT_TRUE(q.empty());
  EXPECT_FALSE(q.PopFront().has_value());
  for (RequestQueue::Id id : {2, 4, 6}) q.PushBack(id);
  q.Insert(5);  // refused, waits again: before 6, sent after it
  q.Insert(1);
  EXPECT_EQ(q.size(), 5u);
  EXPECT_EQ(q.PopFront(), 1u);
  EXPECT_EQ(q.PopFront(), 2u);
  EXPECT_EQ(q.TakeAll(), (std::deque<RequestQueue::Id>{4, 5, 6}));
  EXPECT_TRUE(q.empty());
}

}  // namespace
}  // namespace trr
