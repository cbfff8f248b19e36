// OhttpGateway: the Oblivious HTTP gateway of tests/peers/ohttp (Node.js,
// hpke-js and bhttp-js) on 127.0.0.1, in front of a DoH server on
// loopback. GET /ohttp-keys serves its key configuration; POST /gateway
// opens a sealed query, asks the DoH server and seals the answer. Its
// output logs what it learns of each query ("gateway: peer=... name=...").

#ifndef TRR_TESTS_PEERS_OHTTP_GATEWAY_H_
#define TRR_TESTS_PEERS_OHTTP_GATEWAY_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "tests/peers/test_process.h"

namespace trr::testing {

// The peer's script, relative to the source tree (where ctest and Bazel
// run tests from); `node` runs it.
inline constexpr char kOhttpPeerScript[] = "tests/peers/ohttp/ohttp_peer.mjs";

class OhttpGateway {
 public:
  // node, and the npm packages scripts/setup.sh installs.
  static bool Available();
  // `doh_port`: the DoH server's port on 127.0.0.1, whose certificate
  // `ca_file` trusts. `aead`: 1 AES-128-GCM, 3 ChaCha20-Poly1305.
  static absl::StatusOr<std::unique_ptr<OhttpGateway>> Start(
      uint16_t doh_port, const std::string& ca_file, int aead = 1);
  ~OhttpGateway();

  uint16_t port() const { return port_; }
  // Stops it and starts it again on the same port, with a new key (as a
  // gateway that rotated its key); what it printed before is kept in
  // `previous_output`.
  absl::Status Restart();
  const std::string& previous_output() const { return previous_output_; }
  TestProcess& process() { return *process_; }

 private:
  OhttpGateway() = default;
  absl::Status Run();

  uint16_t doh_port_ = 0;
  std::string ca_file_;
  int aead_ = 1;
  std::string previous_output_;
  uint16_t port_ = 0;
  std::unique_ptr<TestProcess> process_;
};

#define TRR_REQUIRE_OHTTP_GATEWAY()                              \
  do {                                                           \
    if (!::trr::testing::OhttpGateway::Available()) {            \
      TRR_SKIP_LOUDLY(                                           \
          "SKIPPED LOUDLY: node or the gateway's npm packages "  \
          "are missing; run scripts/setup.sh to run this test"); \
    }                                                            \
  } while (0)

}  // namespace trr::testing

#endif  // TRR_TESTS_PEERS_OHTTP_GATEWAY_H_
