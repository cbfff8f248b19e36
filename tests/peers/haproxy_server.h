// HaproxyServer: a real haproxy 2.6 on loopback for tests, a TLS front that
// speaks HTTP/1.1 only (ALPN http/1.1, or no ALPN at all) before a
// cleartext DoH server (dnsdist's): the HTTP/1.1-only DoH server that
// Firefox works with. A certificate made for the run; stopped by PID.

#ifndef TRR_TESTS_PEERS_HAPROXY_SERVER_H_
#define TRR_TESTS_PEERS_HAPROXY_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "tests/peers/test_process.h"
#include "tests/peers/unbound_server.h"

namespace trr::testing {

struct HaproxyConfig {
  // Cleartext HTTP port on 127.0.0.1 of the DoH server behind it.
  uint16_t backend_port = 0;
  // What ALPN offers: "http/1.1", or "" for no ALPN at all.
  std::string alpn = "http/1.1";
  // The address it connects to the backend from (e.g. 127.0.0.3, so the
  // backend sees another address than the client's); "" for the default.
  std::string backend_source;
  // Log each request to its output (HTTP log format): what a relay learns.
  bool log_requests = false;
};

class HaproxyServer {
 public:
  static bool Available();
  static absl::StatusOr<std::unique_ptr<HaproxyServer>> Start(
      HaproxyConfig config);
  ~HaproxyServer();

  uint16_t port() const { return port_; }
  const std::string& ca_file() const { return cert_.cert_file; }
  std::string DohUri(const std::string& host = "localhost") const;
  TestProcess& process() { return *process_; }

 private:
  HaproxyServer() = default;

  TempDir dir_;
  TestCertificate cert_;
  uint16_t port_ = 0;
  std::unique_ptr<TestProcess> process_;
};

#define TRR_REQUIRE_HAPROXY()                              \
  do {                                                     \
    if (!::trr::testing::HaproxyServer::Available()) {     \
      TRR_SKIP_LOUDLY(                                     \
          "SKIPPED LOUDLY: haproxy is not installed; run " \
          "scripts/setup.sh to run this test against it"); \
    }                                                      \
  } while (0)

}  // namespace trr::testing

#endif  // TRR_TESTS_PEERS_HAPROXY_SERVER_H_
