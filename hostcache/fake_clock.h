// FakeClock: a Clock that only moves when told to, for tests. Thread-safe.

#ifndef TRR_HOSTCACHE_FAKE_CLOCK_H_
#define TRR_HOSTCACHE_FAKE_CLOCK_H_

#include "base/mutex.h"
#include "trr/clock.h"

namespace trr {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1800000000))
      : now_(start) {}
  absl::Time Now() const override {
    MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    MutexLock lock(&mu_);
    now_ += d;
  }
  void Set(absl::Time t) {
    MutexLock lock(&mu_);
    now_ = t;
  }

 private:
  mutable Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace trr

#endif  // TRR_HOSTCACHE_FAKE_CLOCK_H_
