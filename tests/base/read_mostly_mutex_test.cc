#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/mutex.h"
#include "gtest/gtest.h"

namespace trr {
namespace {

// Two counters a writer moves together: a reader that ever sees them differ
// was let in while a writer was inside.
struct Pair {
  ReadMostlyMutex mu;
  uint64_t a ABSL_GUARDED_BY(mu) = 0;
  uint64_t b ABSL_GUARDED_BY(mu) = 0;
};

TEST(ReadMostlyMutexTest, ReadersNeverSeeAWriterHalfway) {
  Pair pair;
  std::atomic<bool> torn{false};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> reads{0};
  std::vector<std::thread> threads;
  // More readers than slots, so some share a slot and exclude each other.
  for (size_t t = 0; t < ReadMostlyMutex::kSlots + 2; ++t) {
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
  EXPECT_EQ(pair.a, uint64_t{2 * kWrites});
  EXPECT_EQ(pair.b, uint64_t{2 * kWrites});
}

// A reader that comes while a writer holds the lock for a long time sleeps
// until the writer leaves, then gets in.
TEST(ReadMostlyMutexTest, AReaderWaitsOutAWriter) {
  Pair pair;
  std::atomic<bool> reader_in{false};
  std::atomic<bool> reader_started{false};
  uint64_t seen = 0;
  std::thread reader;
  {
    WriterMutexLock lock(&pair.mu);
    pair.a = pair.b = 1;
    reader = std::thread([&] {
      reader_started = true;
      ReaderMutexLock read(&pair.mu);
      seen = pair.a;
      reader_in = true;
    });
    // The reader is kept out for as long as the writer holds the lock.
    const absl::Time until = absl::Now() + absl::Milliseconds(100);
    while (!reader_started.load()) std::this_thread::yield();
    while (absl::Now() < until) {
      ASSERT_FALSE(reader_in.load());
      std::this_thread::yield();
    }
    pair.a = pair.b = 2;
  }
  reader.join();
  EXPECT_TRUE(reader_in);
  EXPECT_EQ(seen, 2u);
}

TEST(ReadMostlyMutexTest, ThreadsTakeDistinctSlotsUpToTheCount) {
  std::vector<size_t> slots(ReadMostlyMutex::kSlots);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < slots.size(); ++t) {
    threads.emplace_back(
        [&slots, t] { slots[t] = ReadMostlyMutex::ThreadSlot(); });
    threads.back().join();  // one after another: consecutive slots
  }
  for (size_t t = 1; t < slots.size(); ++t) {
    EXPECT_EQ(slots[t], (slots[0] + t) % ReadMostlyMutex::kSlots);
  }
}

}  // namespace
}  // namespace trr
