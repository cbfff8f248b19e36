// DelayRelay: a TCP relay on loopback that makes a link long. Every byte
// is delivered `one_way` after it was read, in order, in each direction;
// the first bytes a client sends wait one round trip more, as they would
// behind a real TCP handshake (the kernel completes loopback connects at
// once). So a client that needs N round trips after its SYN sees about
// N * 2 * one_way. The kernel here has no netem qdisc (../shared/PEERS.md);
// this is the user-space stand-in. It can also cut every connection once
// it has relayed a given number of the server's bytes (a reset both ways,
// as a middlebox that gives up mid-handshake). Loopback only; stopped by
// its destructor.

#ifndef TRR_TESTS_PEERS_DELAY_RELAY_H_
#define TRR_TESTS_PEERS_DELAY_RELAY_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace trr::testing {

class DelayRelay {
 public:
  // Listens on 127.0.0.1 (a free port) and relays to 127.0.0.1:`upstream`.
  // With `cut_after`, each connection is reset (RST to both ends) once the
  // relay has passed that many bytes from the server to the client.
  static absl::StatusOr<std::unique_ptr<DelayRelay>> Start(
      uint16_t upstream, absl::Duration one_way,
      std::optional<size_t> cut_after = std::nullopt);
  ~DelayRelay();
  DelayRelay(const DelayRelay&) = delete;
  DelayRelay& operator=(const DelayRelay&) = delete;

  uint16_t port() const { return port_; }
  // Connections accepted so far, and cut so far.
  int connections() const { return connections_.load(); }
  int cuts() const { return cuts_.load(); }

 private:
  DelayRelay() = default;
  void Run();

  uint16_t upstream_ = 0;
  absl::Duration one_way_;
  std::optional<size_t> cut_after_;
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  int stop_fd_ = -1;  // an eventfd that ends Run()
  std::atomic<int> connections_{0};
  std::atomic<int> cuts_{0};
  std::thread thread_;
};

}  // namespace trr::testing

#endif  // TRR_TESTS_PEERS_DELAY_RELAY_H_
