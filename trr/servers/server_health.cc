#include "trr/servers/server_health.h"

#include <algorithm>

namespace trr {

std::optional<absl::Duration> ServerHealth::OnResult(bool ok) {
  if (ok) {
    failures_in_row_ = 0;
    return std::nullopt;
  }
  ++failures_in_row_;
  if (!available_ || failures_in_row_ < config_.max_failures) {
    return std::nullopt;
  }
  available_ = false;
  ++times_unavailable_;
  probes_ = 0;
  probe_delay_ = config_.probe_initial;
  return probe_delay_;
}

std::optional<absl::Duration> ServerHealth::OnUnreachable() {
  ++failures_in_row_;
  if (!available_) return std::nullopt;
  available_ = false;
  ++times_unavailable_;
  probes_ = 0;
  probe_delay_ = config_.probe_initial;
  return probe_delay_;
}

std::optional<absl::Duration> ServerHealth::OnProbeResult(bool ok) {
  if (available_) return std::nullopt;  // a late probe
  ++probes_;
  if (ok) {
    available_ = true;
    failures_in_row_ = 0;
    probe_delay_ = config_.probe_initial;
    return std::nullopt;
  }
  probe_delay_ = std::min(probe_delay_ * kProbeBackoff, config_.probe_max);
  return probe_delay_;
}

}  // namespace trr
