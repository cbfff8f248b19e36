// KresdServer: a real knot-resolver 5.6 (kresd) on loopback for tests,
// serving DoH (kind 'doh2', HTTP/2) with a certificate made for the run. It
// answers one zone by passing queries on (policy.STUB) to a plain-DNS
// server of the test's, refuses everything else, and never reaches out:
// no root priming, trust anchor refresh or time-skew check. Stopped by PID.

#ifndef TRR_TESTS_PEERS_KRESD_SERVER_H_
#define TRR_TESTS_PEERS_KRESD_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "tests/peers/test_process.h"
#include "tests/peers/unbound_server.h"

namespace trr::testing {

struct KresdConfig {
  std::string zone_name;
  // Plain DNS port on 127.0.0.1 of the server that holds the zone.
  uint16_t upstream_port = 0;
};

class KresdServer {
 public:
  static bool Available();
  static absl::StatusOr<std::unique_ptr<KresdServer>> Start(KresdConfig config);
  ~KresdServer();

  uint16_t doh_port() const { return doh_port_; }
  const std::string& ca_file() const { return cert_.cert_file; }
  std::string DohUri(const std::string& host = "localhost") const;
  TestProcess& process() { return *process_; }

 private:
  KresdServer() = default;

  TempDir dir_;
  TestCertificate cert_;
  uint16_t doh_port_ = 0;
  std::unique_ptr<TestProcess> process_;
};

#define TRR_REQUIRE_KRESD()                                    \
  do {                                                         \
    if (!::trr::testing::KresdServer::Available()) {           \
      TRR_SKIP_LOUDLY(                                         \
          "SKIPPED LOUDLY: knot-resolver (kresd) is not "      \
          "installed; run scripts/setup.sh to run this test"); \
    }                                                          \
  } while (0)

}  // namespace trr::testing

#endif  // TRR_TESTS_PEERS_KRESD_SERVER_H_
