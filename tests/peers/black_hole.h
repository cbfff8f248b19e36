// BlackHole: drops every packet this host sends to one loopback TCP port,
// with an nftables table of its own (removed when it goes), so connections
// to a server behind it hang at the SYN, as to a host that vanished. Needs
// nft and root (CI runs as root); see ../shared/PEERS.md.

#ifndef TRR_TESTS_PEERS_BLACK_HOLE_H_
#define TRR_TESTS_PEERS_BLACK_HOLE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "tests/peers/test_process.h"

namespace trr::testing {

class BlackHole {
 public:
  // nft is installed and this process may use it.
  static bool Available();
  static absl::StatusOr<std::unique_ptr<BlackHole>> Start(uint16_t port);
  // Removes the table: the port is reachable again.
  ~BlackHole();

 private:
  BlackHole() = default;
  std::string table_;
};

// Skips the current test, loudly, when nft is missing or not usable.
#define TRR_REQUIRE_NFT()                                       \
  do {                                                          \
    if (!::trr::testing::BlackHole::Available()) {              \
      TRR_SKIP_LOUDLY(                                          \
          "SKIPPED LOUDLY: nft (nftables) is not installed or " \
          "not usable (root needed); run scripts/setup.sh as "  \
          "root to run this test");                             \
    }                                                           \
  } while (0)

}  // namespace trr::testing

#endif  // TRR_TESTS_PEERS_BLACK_HOLE_H_
