#include "base/mutex.h"

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace trr {
namespace {

// Two counters a writer moves together: a reader that ever sees them differ
// was let in while a writer was inside.
struct Pair {
  SharedMutex mu;
  uint64_t a ABSL_GUARDED_BY(mu) = 0;
  uint64_t b ABSL_GUARDED_BY(mu) = 0;
};

TEST(SharedMutexTest, ReadersNeverSeeAWriterHalfway) {
  Pair pair;
  std::atomic<bool> torn{false};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> reads{0};
  std::vector<std::thread> threads;
  // More readers than cores, so they are preempted holding the lock.
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      while (!stop.load()) {
        ReaderMutexLock lock(&pair.mu);
        if (pair.a != pair.b) torn = true;
        reads.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  constexpr int kWrites = 5000;
  std::vector<std::thread> writers;
  for (int w = 0; w < 2; ++w) {
    writers.emplace_back([&] {
      for (int i = 0; i < kWrites; ++i) {
        WriterMutexLock lock(&pair.mu);
        ++pair.a;
        ++pair.b;
      }
    });
  }
  for (auto& writer : writers) writer.join();
  stop = true;
  for (auto& thread : threads) thread.join();
  EXPECT_FALSE(torn);
  EXPECT_GT(reads.load(), 0u);
  WriterMutexLock lock(&pair.mu);
  EXPECT_EQ(pair.a, static_cast<uint64_t>(2 * kWrites));
  EXPECT_EQ(pair.b, static_cast<uint64_t>(2 * kWrites));
}

// Until a writer waits, a new reader still gets in; from then on it must
// not. Polls with a deadline (nothing signals "a writer waits"); true once
// a reader was held back. (The analysis cannot follow a try-lock in a loop.)
bool NewReadersHeldBack(SharedMutex& mu) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    if (!mu.ReaderTryLock()) return true;
    mu.ReaderUnlock();
  }
  return false;
}

// Why it prefers writers: once a writer waits, new readers wait behind it,
// so readers whose holds overlap cannot keep it out. (glibc's default, and
// so std::shared_mutex, lets them in: this fails there.)
TEST(SharedMutexTest, AWaitingWriterHoldsNewReadersBack) {
  Pair pair;
  pair.mu.ReaderLock();  // a reader in
  std::atomic<bool> written{false};
  std::thread writer([&] {
    WriterMutexLock lock(&pair.mu);
    ++pair.a;
    ++pair.b;
    written = true;
  });
  EXPECT_TRUE(NewReadersHeldBack(pair.mu))
      << "a new reader got past a waiting writer";
  EXPECT_FALSE(written.load());
  pair.mu.ReaderUnlock();
  writer.join();
  EXPECT_TRUE(written.load());
}

TEST(ThreadStripeTest, ThreadsTakeDistinctStripesUpToTheCount) {
  std::vector<size_t> stripes(kStripes);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < stripes.size(); ++t) {
    threads.emplace_back([&stripes, t] { stripes[t] = ThreadStripe(); });
    threads.back().join();  // one after another: consecutive stripes
  }
  for (size_t t = 1; t < stripes.size(); ++t) {
    EXPECT_EQ(stripes[t], (stripes[0] + t) % kStripes);
  }
}

// More threads than stripes, so some share one: still every count is kept.
TEST(StripedCountersTest, NoCountIsLost) {
  StripedCounters<std::atomic<uint64_t>> counters;
  constexpr int kThreads = kStripes + 3;
  constexpr int kAdds = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&counters] {
      for (int i = 0; i < kAdds; ++i) Bump(counters.Mine());
    });
  }
  for (auto& thread : threads) thread.join();
  uint64_t total = 0;
  counters.ForEach([&total](const std::atomic<uint64_t>& c) { total += c; });
  EXPECT_EQ(total, uint64_t{kThreads} * kAdds);
}

}  // namespace
}  // namespace trr
