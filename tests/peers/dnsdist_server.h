// DnsdistServer: a real dnsdist on loopback in front of the tests' unbound,
// for fault injection (../shared/PEERS.md): a DoH listener (with the
// certificate given), a UDP listener, the unbound as its backend, and the
// caller's Lua rules (HTTPStatusAction, RCodeAction, SpoofAction, ...).

#ifndef TRR_TESTS_PEERS_DNSDIST_SERVER_H_
#define TRR_TESTS_PEERS_DNSDIST_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/peers/test_process.h"
#include "tests/peers/unbound_server.h"

namespace trr::testing {

struct DnsdistConfig {
  // Plain DNS port of the backend (an UnboundServer's dns_port()).
  uint16_t backend_port = 0;
  TestCertificate certificate;
  // Lua lines added after the listeners and backend are set up. In them,
  // {udp_port} stands for the UDP listener's port, {doh_port} for DoH's.
  std::vector<std::string> lua;
  // Extra options of the DoH listener, e.g. "idleTimeout=1".
  std::string doh_options;
  // Also a cleartext DoH listener (HTTP/1.1 and h2c), for a TLS front such
  // as haproxy to pass requests to.
  bool cleartext_doh = false;
};

class DnsdistServer {
 public:
  static bool Available();
  static absl::StatusOr<std::unique_ptr<DnsdistServer>> Start(
      DnsdistConfig config);
  ~DnsdistServer();

  uint16_t doh_port() const { return doh_port_; }
  uint16_t udp_port() const { return udp_port_; }
  // The cleartext DoH listener's port (0 unless asked for).
  uint16_t http_port() const { return http_port_; }
  std::string DohUri(const std::string& host = "localhost") const;

  absl::Status Restart();
  void Kill();
  TestProcess& process() { return *process_; }
  void Pause() { process_->Pause(); }
  void Resume() { process_->Resume(); }

 private:
  DnsdistServer() = default;
  absl::Status Launch();

  TempDir dir_;
  std::string config_file_;
  uint16_t doh_port_ = 0;
  uint16_t udp_port_ = 0;
  uint16_t http_port_ = 0;
  std::unique_ptr<TestProcess> process_;
};

#define TRR_REQUIRE_DNSDIST()                              \
  do {                                                     \
    if (!::trr::testing::DnsdistServer::Available()) {     \
      TRR_SKIP_LOUDLY(                                     \
          "SKIPPED LOUDLY: dnsdist is not installed; run " \
          "scripts/setup.sh to run this test against it"); \
    }                                                      \
  } while (0)

}  // namespace trr::testing

#endif  // TRR_TESTS_PEERS_DNSDIST_SERVER_H_
