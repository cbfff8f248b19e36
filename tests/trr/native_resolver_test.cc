// The system resolver (getaddrinfo on worker threads) with a lookup that
// hangs, as getaddrinfo does on a dead network: each request still ends at
// its timeout, exactly once, and what the worker finds later is dropped.
// No network: the lookup is the test's.

#include "trr/native_resolver.h"

#include <sys/socket.h>

#include <string>
#include <vector>

#include "base/mutex.h"
#include "gtest/gtest.h"
#include "trr/event_loop.h"

namespace trr {
namespace {

// A lookup that blocks until released, counting the calls it got.
class HangingLookup {
 public:
  NativeResult operator()(const std::string&, int) {
    MutexLock lock(&mu_);
    ++calls_;
    cv_.SignalAll();
    while (!released_) cv_.Wait(&mu_);
    NativeResult result;
    result.outcome = NativeResult::Outcome::kOk;
    result.addresses = {*IpAddress::Parse("192.0.2.7")};
    return result;
  }
  void Release() {
    MutexLock lock(&mu_);
    released_ = true;
    cv_.SignalAll();
  }
  bool WaitForCalls(int n) {
    MutexLock lock(&mu_);
    return cv_.AwaitWithDeadline(&mu_, absl::Now() + absl::Seconds(10),
                                 [&] { return calls_ >= n; });
  }
  int calls() {
    MutexLock lock(&mu_);
    return calls_;
  }

 private:
  Mutex mu_;
  CondVar cv_;
  int calls_ = 0;          // under mu_
  bool released_ = false;  // under mu_
};

class Results {
 public:
  NativeResolver::Callback Collect(int tag) {
    return [this, tag](NativeResult result) {
      MutexLock lock(&mu_);
      got_.emplace_back(tag, std::move(result));
      cv_.SignalAll();
    };
  }
  std::vector<std::pair<int, NativeResult>> Wait(size_t n) {
    MutexLock lock(&mu_);
    cv_.AwaitWithDeadline(&mu_, absl::Now() + absl::Seconds(10),
                          [&] { return got_.size() >= n; });
    return got_;
  }

 private:
  Mutex mu_;
  CondVar cv_;
  std::vector<std::pair<int, NativeResult>> got_;  // under mu_
};

TEST(SystemResolverTest, AHungLookupEndsAtItsTimeoutExactlyOnce) {
  EventLoop loop;
  HangingLookup hanging;
  Results results;
  std::unique_ptr<NativeResolver> resolver;
  loop.RunSync([&] {
    resolver = MakeSystemResolver(&loop, /*threads=*/1,
                                  [&](const std::string& host, int family) {
                                    return hanging(host, family);
                                  });
    // The first takes the only worker and hangs; the second waits behind
    // it and never starts.
    resolver->Resolve("hung.example", QueryKind::kIpv4, absl::Milliseconds(100),
                      results.Collect(1));
    resolver->Resolve("queued.example", QueryKind::kIpv4,
                      absl::Milliseconds(150), results.Collect(2));
  });
  ASSERT_TRUE(hanging.WaitForCalls(1));
  const auto timed_out = results.Wait(2);
  ASSERT_EQ(timed_out.size(), 2u);
  for (const auto& [tag, result] : timed_out) {
    EXPECT_EQ(result.outcome, NativeResult::Outcome::kFailed) << tag;
    EXPECT_NE(result.error.find("did not answer within"), std::string::npos)
        << result.error;
  }
  // The worker's late answer is dropped, and the queued lookup, whose
  // request is over, is never started.
  hanging.Release();
  bool done = false;
  loop.RunSync([&] {
    resolver->Resolve("after.example", QueryKind::kIpv4, absl::Seconds(5),
                      results.Collect(3));
    done = true;
  });
  ASSERT_TRUE(done);
  const auto all = results.Wait(3);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[2].first, 3);
  EXPECT_EQ(all[2].second.outcome, NativeResult::Outcome::kOk);
  EXPECT_EQ(hanging.calls(), 2);  // hung.example and after.example
  loop.RunSync([&] { resolver.reset(); });
  EXPECT_EQ(results.Wait(3).size(), 3u);
}

}  // namespace
}  // namespace trr
