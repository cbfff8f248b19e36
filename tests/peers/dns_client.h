// Plain DNS over UDP and TCP to a loopback server, for tests that talk to
// unbound directly (golden captures, checking what a server holds).

#ifndef TRR_TESTS_PEERS_DNS_CLIENT_H_
#define TRR_TESTS_PEERS_DNS_CLIENT_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace trr::testing {

absl::StatusOr<std::vector<uint8_t>> UdpExchange(
    uint16_t port, const std::vector<uint8_t>& query,
    absl::Duration timeout = absl::Seconds(5));

absl::StatusOr<std::vector<uint8_t>> TcpExchange(
    uint16_t port, const std::vector<uint8_t>& query,
    absl::Duration timeout = absl::Seconds(5));

}  // namespace trr::testing

#endif  // TRR_TESTS_PEERS_DNS_CLIENT_H_
