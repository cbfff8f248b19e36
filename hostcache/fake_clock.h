// FakeClock: a Clock that only moves when told to, for tests. Thread-safe.
// Advance() moves both its steady and its wall time; JumpWall() moves only
// the wall time, as someone setting the system clock would.

#ifndef TRR_HOSTCACHE_FAKE_CLOCK_H_
#define TRR_HOSTCACHE_FAKE_CLOCK_H_

#include "base/mutex.h"
#include "hostcache/clock.h"

namespace trr {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1800000000))
      : now_(start) {}
  absl::Time Now() const override {
    MutexLock lock(&mu_);
    return now_;
  }
  absl::Time WallNow() const override {
    MutexLock lock(&mu_);
    return now_ + wall_offset_;
  }
  void Advance(absl::Duration d) {
    MutexLock lock(&mu_);
    now_ += d;
  }
  void Set(absl::Time t) {
    MutexLock lock(&mu_);
    now_ = t;
  }
  // The wall clock is set forward (or back, with a negative `d`); steady
  // time goes on as it was.
  void JumpWall(absl::Duration d) {
    MutexLock lock(&mu_);
    wall_offset_ += d;
  }

 private:
  mutable Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  absl::Duration wall_offset_ ABSL_GUARDED_BY(mu_);
};

}  // namespace trr

#endif  // TRR_HOSTCACHE_FAKE_CLOCK_H_
