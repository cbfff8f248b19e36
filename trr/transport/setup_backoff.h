// SetupBackoff: when a DoH transport may try a new connection after
// setups failed. The first failure waits `initial`, each further one in a
// row twice as long, up to `max`; every wait is up to 20% shorter (jitter,
// so many clients of one server do not come back together) and never past
// `max`, so a probe goes once it passes. A setup that came up, a new
// configuration or a new network start again without back-off.
//
// Pure logic: the caller gives the time (monotonic).

#ifndef TRR_TRR_TRANSPORT_SETUP_BACKOFF_H_
#define TRR_TRR_TRANSPORT_SETUP_BACKOFF_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace trr {

class SetupBackoff {
 public:
  // `seed` starts the jitter's small PRNG (the jitter needs no secret).
  explicit SetupBackoff(uint64_t seed) : jitter_(seed) {}

  void Configure(absl::Duration initial, absl::Duration max) {
    initial_ = initial;
    max_ = max;
  }
  // Whether a new connection may start at `now`.
  bool MaySetUp(absl::Time now) const { return failures_ == 0 || now >= next_; }
  // A setup failed (a server that could not be reached) at `now`.
  void OnFailed(absl::Time now);
  // A setup came up, or what failed before no longer counts.
  void Reset() {
    failures_ = 0;
    next_ = absl::InfinitePast();
  }

  int failures() const { return failures_; }
  // Why a request that needs a connection fails now, for its detail.
  std::string Describe(absl::string_view host, absl::Time now) const;

 private:
  absl::Duration initial_ = absl::Milliseconds(100);
  absl::Duration max_ = absl::Seconds(1);
  int failures_ = 0;
  absl::Time next_ = absl::InfinitePast();
  uint64_t jitter_;
};

}  // namespace trr

#endif  // TRR_TRR_TRANSPORT_SETUP_BACKOFF_H_
