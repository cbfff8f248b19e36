// Clock: where the resolver's notion of "now" comes from. Production uses
// RealClock; tests use FakeClock and move time instead of sleeping.

#ifndef TRR_HOSTCACHE_CLOCK_H_
#define TRR_HOSTCACHE_CLOCK_H_

#include <time.h>

#include "absl/base/thread_annotations.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/mutex.h"

namespace trr {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// The system's wall clock at its coarse resolution (a few milliseconds):
// every cache lookup reads it, and TTLs are whole seconds.
class RealClock final : public Clock {
 public:
  absl::Time Now() const override {
    timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    return absl::TimeFromTimespec(ts);
  }
  // A process-wide instance; it holds no state.
  static const RealClock* Get() {
    static const RealClock clock;
    return &clock;
  }
};

// A clock that only moves when told to. Thread-safe.
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

#endif  // TRR_HOSTCACHE_CLOCK_H_
