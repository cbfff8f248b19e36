// trr/clock.h: where a Resolver's notion of "now" comes from. The default
// is RealClock; give Resolver::Options another Clock to control time (tests
// use a fake one and move time instead of sleeping).

#ifndef TRR_INCLUDE_TRR_CLOCK_H_
#define TRR_INCLUDE_TRR_CLOCK_H_

#include <time.h>

#include "absl/time/time.h"
#include "trr/export.h"

namespace trr {

class TRR_EXPORT Clock {
 public:
  virtual ~Clock() = default;
  // Must be thread-safe: the resolver reads it from several threads.
  virtual absl::Time Now() const = 0;
};

// The system's wall clock at its coarse resolution (a few milliseconds):
// every cache lookup reads it, and TTLs are whole seconds.
class TRR_EXPORT RealClock final : public Clock {
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

}  // namespace trr

#endif  // TRR_INCLUDE_TRR_CLOCK_H_
