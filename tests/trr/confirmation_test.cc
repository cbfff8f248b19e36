#include "trr/servers/confirmation.h"

#include "gtest/gtest.h"

namespace trr {
namespace {

ConfirmationConfig Config() {
  ConfirmationConfig config;
  config.trr_in_use = true;
  config.confirm = true;
  config.retry_initial = absl::Milliseconds(125);
  config.retry_max = absl::Milliseconds(1000);
  config.max_fails = 3;
  return config;
}

TEST(ConfirmationTest, StartsOptimisticAndSendsAQuery) {
  Confirmation c;
  auto action = c.Start(Config());
  EXPECT_EQ(c.state(), ConfirmationState::kTryingOk);
  ASSERT_TRUE(action.send_attempt.has_value());
  EXPECT_FALSE(action.retry_after.has_value());
  EXPECT_TRUE(c.TrrUsable(false));
  EXPECT_FALSE(c.TrrUsable(/*wait_for_confirmation=*/true));
  c.OnQueryResult(*action.send_attempt, true);
  EXPECT_EQ(c.state(), ConfirmationState::kOk);
  EXPECT_TRUE(c.TrrUsable(true));
}

TEST(ConfirmationTest, FailureBacksOffDoublingToTheMaximum) {
  Confirmation c;
  auto action = c.Start(Config());
  std::vector<int64_t> waits;
  for (int i = 0; i < 6; ++i) {
    auto failed = c.OnQueryResult(*action.send_attempt, false);
    EXPECT_EQ(c.state(), ConfirmationState::kFailed);
    EXPECT_FALSE(c.TrrUsable(false));
    ASSERT_TRUE(failed.retry_after.has_value());
    waits.push_back(absl::ToInt64Milliseconds(*failed.retry_after));
    action = c.OnRetryTimer(c.current_attempt());
    EXPECT_EQ(c.state(), ConfirmationState::kTryingFailed);
    EXPECT_FALSE(c.TrrUsable(false));
    ASSERT_TRUE(action.send_attempt.has_value());
  }
  EXPECT_EQ(waits, (std::vector<int64_t>{125, 250, 500, 1000, 1000, 1000}));
  // Success resets the back-off.
  c.OnQueryResult(*action.send_attempt, true);
  EXPECT_EQ(c.state(), ConfirmationState::kOk);
  EXPECT_EQ(c.next_retry(), absl::Milliseconds(125));
  EXPECT_EQ(c.attempts(), 7u);
}

TEST(ConfirmationTest, MaxFailsSendsOkBackToTrying) {
  Confirmation c;
  auto action = c.Start(Config());
  c.OnQueryResult(*action.send_attempt, true);
  EXPECT_FALSE(c.OnTrrResult(false).send_attempt.has_value());
  EXPECT_FALSE(c.OnTrrResult(false).send_attempt.has_value());
  EXPECT_FALSE(c.OnTrrResult(true).send_attempt.has_value());  // resets
  EXPECT_FALSE(c.OnTrrResult(false).send_attempt.has_value());
  EXPECT_FALSE(c.OnTrrResult(false).send_attempt.has_value());
  EXPECT_EQ(c.state(), ConfirmationState::kOk);
  auto again = c.OnTrrResult(false);
  EXPECT_TRUE(again.send_attempt.has_value());
  EXPECT_EQ(c.state(), ConfirmationState::kTryingOk);
}

TEST(ConfirmationTest, StaleResultsAndTimersAreIgnored) {
  Confirmation c;
  auto first = c.Start(Config());
  auto second = c.Start(Config());  // e.g. a network change
  EXPECT_NE(*first.send_attempt, *second.send_attempt);
  c.OnQueryResult(*first.send_attempt, false);
  EXPECT_EQ(c.state(), ConfirmationState::kTryingOk);
  c.OnQueryResult(*second.send_attempt, false);
  EXPECT_EQ(c.state(), ConfirmationState::kFailed);
  EXPECT_FALSE(c.OnRetryTimer(c.current_attempt() + 5).send_attempt);
  EXPECT_EQ(c.state(), ConfirmationState::kFailed);
}

TEST(ConfirmationTest, SkipAndModeThreeDisableAndOffModesAreOff) {
  Confirmation c;
  ConfirmationConfig config = Config();
  config.confirm = false;
  EXPECT_FALSE(c.Start(config).send_attempt.has_value());
  EXPECT_EQ(c.state(), ConfirmationState::kDisabled);
  EXPECT_TRUE(c.TrrUsable(true));
  config.trr_in_use = false;
  c.Start(config);
  EXPECT_EQ(c.state(), ConfirmationState::kOff);
  EXPECT_EQ(ConfirmationStateName(ConfirmationState::kTryingFailed),
            "trying-failed");
}

}  // namespace
}  // namespace trr

namespace trr {
namespace {

TEST(ConfirmationTest, ARecoverableFailureConfirmsAConfirmedServerAgain) {
  Confirmation c;
  auto start = c.Start(Config());
  c.OnQueryResult(*start.send_attempt, true);
  ASSERT_EQ(c.state(), ConfirmationState::kOk);
  const auto again = c.OnRecoverableFailure();
  ASSERT_TRUE(again.send_attempt.has_value());
  EXPECT_EQ(c.state(), ConfirmationState::kTryingOk);
  EXPECT_TRUE(c.TrrUsable(false));  // optimistic meanwhile
  // Already confirming: no second query.
  EXPECT_FALSE(c.OnRecoverableFailure().send_attempt.has_value());
  c.OnQueryResult(*again.send_attempt, true);
  EXPECT_EQ(c.state(), ConfirmationState::kOk);
}

}  // namespace
}  // namespace trr

namespace trr {
namespace {

TEST(ConfirmationTest, AnUnreachableServerFailsConfirmationAtOnce) {
  Confirmation c;
  auto start = c.Start(Config());
  // While the optimistic attempt is out: it no longer counts.
  const auto failed = c.OnUnreachable();
  EXPECT_EQ(c.state(), ConfirmationState::kFailed);
  EXPECT_FALSE(c.TrrUsable(false));
  ASSERT_TRUE(failed.retry_after.has_value());
  EXPECT_EQ(*failed.retry_after, absl::Milliseconds(125));
  c.OnQueryResult(*start.send_attempt, true);
  EXPECT_EQ(c.state(), ConfirmationState::kFailed) << "a stale attempt";
  // The retry confirms it again.
  const auto retry = c.OnRetryTimer(c.current_attempt());
  ASSERT_TRUE(retry.send_attempt.has_value());
  c.OnQueryResult(*retry.send_attempt, true);
  EXPECT_EQ(c.state(), ConfirmationState::kOk);
  // From kOk too; and nothing while failed, or when disabled.
  EXPECT_TRUE(c.OnUnreachable().retry_after.has_value());
  EXPECT_FALSE(c.OnUnreachable().retry_after.has_value());
  ConfirmationConfig skip = Config();
  skip.confirm = false;
  c.Start(skip);
  EXPECT_FALSE(c.OnUnreachable().retry_after.has_value());
  EXPECT_EQ(c.state(), ConfirmationState::kDisabled);
}

}  // namespace
}  // namespace trr
