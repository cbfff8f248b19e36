// Real proxies on loopback for the proxy tests: squid (HTTP CONNECT) and
// dante (SOCKS5), each on a port picked free, with a configuration written
// for the run, stopped by PID. See ../shared/PEERS.md.

#ifndef TRR_TESTS_PEERS_PROXY_SERVERS_H_
#define TRR_TESTS_PEERS_PROXY_SERVERS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "tests/peers/test_process.h"

namespace trr::testing {

class SquidServer {
 public:
  static bool Available();
  // `allow`: whether it lets loopback clients CONNECT (else it answers 403).
  static absl::StatusOr<std::unique_ptr<SquidServer>> Start(bool allow = true);
  ~SquidServer();
  uint16_t port() const { return port_; }
  // For failure messages: whether it still runs, what it printed and its
  // cache.log.
  std::string Log();

 private:
  SquidServer() = default;
  // Its service name: squid names its shared memory after it, so two
  // squids (tests run in parallel) do not meet, and the destructor removes
  // what this one left in /dev/shm.
  std::string name_;
  TempDir dir_;
  uint16_t port_ = 0;
  std::unique_ptr<TestProcess> process_;
};

class DanteServer {
 public:
  static bool Available();
  static absl::StatusOr<std::unique_ptr<DanteServer>> Start();
  ~DanteServer();
  uint16_t port() const { return port_; }

 private:
  DanteServer() = default;
  TempDir dir_;
  uint16_t port_ = 0;
  std::unique_ptr<TestProcess> process_;
};

// Skip the current test, loudly, when the proxy is not installed.
#define TRR_REQUIRE_SQUID()                                \
  do {                                                     \
    if (!::trr::testing::SquidServer::Available()) {       \
      TRR_SKIP_LOUDLY(                                     \
          "SKIPPED LOUDLY: squid is not installed; run "   \
          "scripts/setup.sh to run this test against it"); \
    }                                                      \
  } while (0)
#define TRR_REQUIRE_DANTE()                                   \
  do {                                                        \
    if (!::trr::testing::DanteServer::Available()) {          \
      TRR_SKIP_LOUDLY(                                        \
          "SKIPPED LOUDLY: dante-server (danted) is not "     \
          "installed; run scripts/setup.sh to run this test " \
          "against it");                                      \
    }                                                         \
  } while (0)

}  // namespace trr::testing

#endif  // TRR_TESTS_PEERS_PROXY_SERVERS_H_
