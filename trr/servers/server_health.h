// ServerHealth: whether one DoH server is available, as Chromium keeps it
// for each server of its list. A server that fails max_failures lookups in
// a row becomes unavailable; lookups then skip it, and it is probed, first
// after probe_initial and then backing off by x1.5 up to probe_max, until
// a probe is answered and it is available again.
//
// Pure logic, as Confirmation is: no I/O and no clock. Each input returns
// what the caller must do (start a probe timer); the resolver does it.

#ifndef TRR_TRR_SERVERS_SERVER_HEALTH_H_
#define TRR_TRR_SERVERS_SERVER_HEALTH_H_

#include <cstdint>
#include <optional>

#include "absl/time/time.h"

namespace trr {

struct ServerHealthConfig {
  int max_failures = 10;
  absl::Duration probe_initial = absl::Seconds(1);
  absl::Duration probe_max = absl::Hours(1);
};

class ServerHealth {
 public:
  // The growth of the wait between probes.
  static constexpr double kProbeBackoff = 1.5;

  void Configure(const ServerHealthConfig& config) { config_ = config; }

  // A lookup's outcome on this server (answers, NXDOMAIN and NODATA
  // included, are ok; transport failures, timeouts, SERVFAIL and REFUSED
  // are not). Returns the wait before the first probe when this failure
  // made the server unavailable.
  std::optional<absl::Duration> OnResult(bool ok);
  // A probe's outcome. Answered: available again (nullopt). Otherwise the
  // wait before the next probe.
  std::optional<absl::Duration> OnProbeResult(bool ok);
  // No connection to it came up within a query's time (a black hole, a
  // server gone): unavailable at once, without waiting for max_failures
  // more such timeouts. The wait before the first probe, or nullopt when
  // it already was unavailable.
  std::optional<absl::Duration> OnUnreachable();

  bool available() const { return available_; }
  int failures_in_row() const { return failures_in_row_; }
  // Probes sent since the server became unavailable.
  int probes() const { return probes_; }
  uint64_t times_unavailable() const { return times_unavailable_; }

 private:
  ServerHealthConfig config_;
  bool available_ = true;
  int failures_in_row_ = 0;
  int probes_ = 0;
  absl::Duration probe_delay_ = absl::Seconds(1);
  uint64_t times_unavailable_ = 0;
};

}  // namespace trr

#endif  // TRR_TRR_SERVERS_SERVER_HEALTH_H_
