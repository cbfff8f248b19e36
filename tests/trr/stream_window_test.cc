#include "trr/transport/stream_window.h"

#include "gtest/gtest.h"

namespace trr {
namespace {

constexpr uint32_t kServerMax = 100;

// Sends `count` requests and returns the sequence of the first.
uint64_t SendMany(StreamWindow& window, int count) {
  const uint64_t first = window.NextSequence();
  for (int i = 1; i < count; ++i) window.NextSequence();
  return first;
}

TEST(StreamWindowTest, StartsConservativeAndWithinTheServersLimit) {
  StreamWindow window;
  EXPECT_EQ(window.Limit(kServerMax), StreamWindow::kInitial);
  EXPECT_EQ(window.Limit(5), 5u);
  EXPECT_EQ(window.Limit(0), 0u);
}

TEST(StreamWindowTest, GrowsByOnePerAnswerWhileFullUntilARefusal) {
  StreamWindow window;
  // Slow start: every answer on a full window adds one.
  for (int i = 0; i < 10; ++i) window.OnAnswer(window.window());
  EXPECT_EQ(window.window(), StreamWindow::kInitial + 10);
}

TEST(StreamWindowTest, AnswersOnAWindowNotInUseDoNotGrowIt) {
  StreamWindow window;
  for (int i = 0; i < 50; ++i) window.OnAnswer(1);
  EXPECT_EQ(window.window(), StreamWindow::kInitial);
}

TEST(StreamWindowTest, NeverAboveItsCapWhateverTheServerAdvertises) {
  StreamWindow window;
  for (int i = 0; i < 10000; ++i) window.OnAnswer(window.window());
  EXPECT_EQ(window.window(), StreamWindow::kMax);
  EXPECT_EQ(window.Limit(65535), StreamWindow::kMax);
}

TEST(StreamWindowTest, ARefusalHalvesWhatWasInFlight) {
  StreamWindow window;
  for (int i = 0; i < 40; ++i) window.OnAnswer(window.window());
  ASSERT_EQ(window.window(), 56u);
  const uint64_t sequence = SendMany(window, 56);
  window.OnRefused(sequence, 56);
  EXPECT_EQ(window.window(), 28u);
  EXPECT_EQ(window.decreases(), 1u);
}

TEST(StreamWindowTest, ABurstOfRefusalsIsOneDecrease) {
  StreamWindow window;
  const uint64_t first = SendMany(window, 16);
  // Every stream of the burst refused: one signal.
  for (uint64_t s = first; s < first + 16; ++s) window.OnRefused(s, 16);
  EXPECT_EQ(window.window(), 8u);
  EXPECT_EQ(window.decreases(), 1u);
  // A request sent after the decrease and refused again halves again.
  const uint64_t later = SendMany(window, 8);
  window.OnRefused(later, 8);
  EXPECT_EQ(window.window(), 4u);
  EXPECT_EQ(window.decreases(), 2u);
}

TEST(StreamWindowTest, NeverBelowTheFloorAfterRefusals) {
  StreamWindow window;
  for (int i = 0; i < 20; ++i) window.OnRefused(SendMany(window, 1), 1);
  EXPECT_EQ(window.window(), StreamWindow::kMinAfterRefusal);
}

TEST(StreamWindowTest, AfterARefusalGrowsByOnePerWindowOfAnswers) {
  StreamWindow window;
  window.OnRefused(SendMany(window, 16), 16);
  ASSERT_EQ(window.window(), 8u);
  // Congestion avoidance: eight answers on a full window of eight add one.
  for (int i = 0; i < 7; ++i) window.OnAnswer(8);
  EXPECT_EQ(window.window(), 8u);
  window.OnAnswer(8);
  EXPECT_EQ(window.window(), 9u);
}

}  // namespace
}  // namespace trr
