// BindServer: a real BIND 9.18 (named) on loopback for tests, serving one
// zone over plain DNS and DoH (its `tls` and `http` blocks, HTTP/2), with
// a certificate made for the run, on ports picked free, stopped by PID.
// Nothing leaves loopback: no recursion, no DNSSEC validation (so no trust
// anchor refresh), no NOTIFY, no control channel. ../shared/PEERS.md.

#ifndef TRR_TESTS_PEERS_BIND_SERVER_H_
#define TRR_TESTS_PEERS_BIND_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "tests/peers/test_process.h"
#include "tests/peers/unbound_server.h"

namespace trr::testing {

struct BindConfig {
  std::string zone_name;
  std::string zone;  // the zone file's text
};

class BindServer {
 public:
  static bool Available();
  static absl::StatusOr<std::unique_ptr<BindServer>> Start(BindConfig config);
  ~BindServer();

  uint16_t dns_port() const { return dns_port_; }
  uint16_t doh_port() const { return doh_port_; }
  const std::string& ca_file() const { return cert_.cert_file; }
  std::string DohUri(const std::string& host = "localhost") const;
  TestProcess& process() { return *process_; }

 private:
  BindServer() = default;

  TempDir dir_;
  TestCertificate cert_;
  uint16_t dns_port_ = 0;
  uint16_t doh_port_ = 0;
  std::unique_ptr<TestProcess> process_;
};

#define TRR_REQUIRE_BIND()                                     \
  do {                                                         \
    if (!::trr::testing::BindServer::Available()) {            \
      TRR_SKIP_LOUDLY(                                         \
          "SKIPPED LOUDLY: BIND (named) is not installed; "    \
          "run scripts/setup.sh to run this test against it"); \
    }                                                          \
  } while (0)

}  // namespace trr::testing

#endif  // TRR_TESTS_PEERS_BIND_SERVER_H_
