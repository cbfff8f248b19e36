// Where a Resolver's notion of "now" comes from. The default is RealClock;
// tests give ResolverSeams::clock another (trr/resolver_testing.h) and move
// time instead of sleeping.

#ifndef TRR_HOSTCACHE_CLOCK_H_
#define TRR_HOSTCACHE_CLOCK_H_

#include <time.h>

#include "absl/time/time.h"

namespace trr {

class Clock {
 public:
  virtual ~Clock() = default;
  // Steady time, for everything that expires (cache TTLs and grace, the
  // temporary blocklist, serve-stale): it never jumps when someone sets
  // the wall clock, so a jump neither expires nor revives an entry. Only
  // the difference between two readings means anything.
  // Must be thread-safe: the resolver reads it from several threads.
  virtual absl::Time Now() const = 0;
  // The wall clock, only to tell people when something happened (the time
  // a snapshot was taken). Thread-safe too.
  virtual absl::Time WallNow() const { return absl::Now(); }
};

// The system's clocks. Now() is CLOCK_BOOTTIME: steady like
// CLOCK_MONOTONIC, but it also counts time spent suspended, so an answer
// whose TTL ran out while the machine slept is expired when it wakes
// (about 40 ns a read through the vDSO; every cache lookup reads it).
// WallNow() is CLOCK_REALTIME_COARSE.
class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return Read(CLOCK_BOOTTIME); }
  absl::Time WallNow() const override { return Read(CLOCK_REALTIME_COARSE); }
  // A process-wide instance; it holds no state.
  static const RealClock* Get() {
    static const RealClock clock;
    return &clock;
  }

 private:
  static absl::Time Read(clockid_t id) {
    timespec ts;
    clock_gettime(id, &ts);
    return absl::TimeFromTimespec(ts);
  }
};

}  // namespace trr

#endif  // TRR_HOSTCACHE_CLOCK_H_
