#include "trr/transport/setup_backoff.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace trr {

void SetupBackoff::OnFailed(absl::Time now) {
  ++failures_;
  absl::Duration wait = initial_;
  for (int i = 1; i < failures_ && wait < max_; ++i) wait *= 2;
  wait = std::min(wait, max_);
  jitter_ = jitter_ * 6364136223846793005ULL + 1442695040888963407ULL;
  const double factor = 0.8 + 0.2 * static_cast<double>(jitter_ >> 11) /
                                  static_cast<double>(uint64_t{1} << 53);
  next_ = now + wait * factor;
}

std::string SetupBackoff::Describe(absl::string_view host,
                                   absl::Time now) const {
  const absl::Duration left = next_ - now;
  return absl::StrCat(
      "no connection to ", host, " came up the last ", failures_,
      failures_ == 1 ? " time" : " times", "; the next attempt is in ",
      absl::FormatDuration(absl::Trunc(left, absl::Milliseconds(1))));
}

}  // namespace trr
