// SetupBackoff: the wait after failed connection setups doubles up to its
// maximum, with up to 20% taken off, and starts again after a success.

#include "trr/transport/setup_backoff.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trr {
namespace {

using ::testing::HasSubstr;

// The wait the back-off imposes after a failure at `at`, found by probing.
absl::Duration WaitAfter(const SetupBackoff& b, absl::Time at) {
  absl::Duration lo = absl::ZeroDuration(), hi = absl::Seconds(100);
  while (hi - lo > absl::Microseconds(1)) {
    const absl::Duration mid = (lo + hi) / 2;
    (b.MaySetUp(at + mid) ? hi : lo) = mid;
  }
  return hi;
}

TEST(SetupBackoffTest, DoublesWithJitterUpToTheMaximumAndResets) {
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  SetupBackoff b(/*seed=*/42);
  b.Configure(absl::Milliseconds(100), absl::Seconds(1));
  EXPECT_TRUE(b.MaySetUp(t0));
  const absl::Duration expected[] = {
      absl::Milliseconds(100), absl::Milliseconds(200), absl::Milliseconds(400),
      absl::Milliseconds(800), absl::Seconds(1),        absl::Seconds(1)};
  for (const absl::Duration full : expected) {
    b.OnFailed(t0);
    EXPECT_FALSE(b.MaySetUp(t0));
    const absl::Duration wait = WaitAfter(b, t0);
    EXPECT_LE(wait, full);
    EXPECT_GE(wait, full * 0.8 - absl::Microseconds(2));
  }
  EXPECT_EQ(b.failures(), 6);
  EXPECT_THAT(b.Describe("doh.test", t0),
              HasSubstr("no connection to doh.test came up the last 6 times"));
  b.Reset();
  EXPECT_TRUE(b.MaySetUp(t0));
  b.OnFailed(t0);
  EXPECT_LE(WaitAfter(b, t0), absl::Milliseconds(100));
  EXPECT_THAT(b.Describe("doh.test", t0), HasSubstr("the last 1 time;"));
}

// Two transports started together do not come back together.
TEST(SetupBackoffTest, DifferentSeedsSpreadTheRetries) {
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  SetupBackoff a(1), b(2);
  for (SetupBackoff* x : {&a, &b}) {
    x->Configure(absl::Seconds(1), absl::Seconds(10));
    x->OnFailed(t0);
  }
  EXPECT_NE(WaitAfter(a, t0), WaitAfter(b, t0));
}

}  // namespace
}  // namespace trr
