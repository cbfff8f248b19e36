#include "trr/servers/server_health.h"

#include "gtest/gtest.h"

namespace trr {
namespace {

ServerHealth Health(int max_failures = 3) {
  ServerHealth health;
  ServerHealthConfig config;
  config.max_failures = max_failures;
  config.probe_initial = absl::Seconds(1);
  config.probe_max = absl::Seconds(4);
  health.Configure(config);
  return health;
}

TEST(ServerHealthTest, UnavailableAfterFailuresInARowOnly) {
  ServerHealth health = Health();
  EXPECT_FALSE(health.OnResult(false));
  EXPECT_FALSE(health.OnResult(false));
  EXPECT_FALSE(health.OnResult(true));  // an answer resets the count
  EXPECT_EQ(health.failures_in_row(), 0);
  EXPECT_FALSE(health.OnResult(false));
  EXPECT_FALSE(health.OnResult(false));
  EXPECT_TRUE(health.available());
  const auto probe = health.OnResult(false);
  ASSERT_TRUE(probe.has_value());
  EXPECT_EQ(*probe, absl::Seconds(1));
  EXPECT_FALSE(health.available());
  EXPECT_EQ(health.times_unavailable(), 1u);
  // More failures while unavailable start no second probe.
  EXPECT_FALSE(health.OnResult(false));
}

TEST(ServerHealthTest, ProbesBackOffByHalfAgainUpToTheMaximum) {
  ServerHealth health = Health(1);
  ASSERT_EQ(health.OnResult(false), absl::Seconds(1));
  EXPECT_EQ(health.OnProbeResult(false), absl::Milliseconds(1500));
  EXPECT_EQ(health.OnProbeResult(false), absl::Milliseconds(2250));
  EXPECT_EQ(health.OnProbeResult(false), absl::Milliseconds(3375));
  EXPECT_EQ(health.OnProbeResult(false), absl::Seconds(4));
  EXPECT_EQ(health.OnProbeResult(false), absl::Seconds(4));
  EXPECT_EQ(health.probes(), 5);
  // Answered: available again, and the next time starts from 1 s.
  EXPECT_FALSE(health.OnProbeResult(true));
  EXPECT_TRUE(health.available());
  EXPECT_EQ(health.OnResult(false), absl::Seconds(1));
}

TEST(ServerHealthTest, UnreachableIsUnavailableAtOnce) {
  ServerHealth health = Health();
  ASSERT_TRUE(health.available());
  EXPECT_EQ(health.OnUnreachable(), absl::Seconds(1));
  EXPECT_FALSE(health.available());
  EXPECT_EQ(health.OnUnreachable(), std::nullopt) << "already probing";
  EXPECT_EQ(health.OnProbeResult(true), std::nullopt);
  EXPECT_TRUE(health.available());
}

TEST(ServerHealthTest, ALateProbeOfAnAvailableServerChangesNothing) {
  ServerHealth health = Health();
  EXPECT_FALSE(health.OnProbeResult(false));
  EXPECT_TRUE(health.available());
}

}  // namespace
}  // namespace trr
