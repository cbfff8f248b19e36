// NoisyDohServer: tests/peers/noisy_doh_server.py, a DoH server on
// python3-h2 that misbehaves as told (floods of PING, SETTINGS or
// WINDOW_UPDATE, CONTINUATION chains, refused streams, GOAWAY with streams
// in flight, dropped connections, ALPN other than h2). It answers every A
// query with 192.0.2.1 and anything else with NODATA. Loopback only,
// stopped by PID.

#ifndef TRR_TESTS_PEERS_NOISY_DOH_SERVER_H_
#define TRR_TESTS_PEERS_NOISY_DOH_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/peers/test_process.h"
#include "tests/peers/unbound_server.h"

namespace trr::testing {

class NoisyDohServer {
 public:
  // Debian's python3 with python3-h2 (scripts/setup.sh installs both).
  static bool Available();
  // `flags` are the script's own, e.g. {"--ping-flood", "1000"}.
  static absl::StatusOr<std::unique_ptr<NoisyDohServer>> Start(
      std::vector<std::string> flags);

  uint16_t port() const { return port_; }
  const std::string& ca_file() const { return cert_.cert_file; }
  std::string DohUri() const;
  // Lines of the server's log that start with `event` ("connection",
  // "answered", "refused", "goaway", "dropped", "flooded").
  int Count(const std::string& event);
  // Waits (with a deadline) until `count` such lines are in: the server
  // logs an event just after it acts, so the client may see it first.
  absl::Status WaitForCount(const std::string& event, int count);
  TestProcess& process() { return *process_; }

 private:
  NoisyDohServer() = default;

  TempDir dir_;
  TestCertificate cert_;
  uint16_t port_ = 0;
  std::unique_ptr<TestProcess> process_;
};

#define TRR_REQUIRE_NOISY_DOH_SERVER()                        \
  do {                                                        \
    if (!::trr::testing::NoisyDohServer::Available()) {       \
      TRR_SKIP_LOUDLY(                                        \
          "SKIPPED LOUDLY: /usr/bin/python3 with python3-h2 " \
          "is not installed; run scripts/setup.sh");          \
    }                                                         \
  } while (0)

}  // namespace trr::testing

#endif  // TRR_TESTS_PEERS_NOISY_DOH_SERVER_H_
