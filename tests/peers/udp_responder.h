// UdpResponder: a DNS server of a test's own on 127.0.0.1 (a free port),
// answering each datagram with what the test's function returns for it
// (nothing when empty), on a thread of its own until it is destroyed.
// Loopback only.

#ifndef TRR_TESTS_PEERS_UDP_RESPONDER_H_
#define TRR_TESTS_PEERS_UDP_RESPONDER_H_

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <functional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/types/span.h"

namespace trr::testing {

class UdpResponder {
 public:
  using Answer =
      std::function<std::vector<uint8_t>(absl::Span<const uint8_t> query)>;

  explicit UdpResponder(Answer answer) : answer_(std::move(answer)) {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t length = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &length);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~UdpResponder() {
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
  }
  UdpResponder(const UdpResponder&) = delete;
  UdpResponder& operator=(const UdpResponder&) = delete;

  uint16_t port() const { return port_; }

 private:
  void Serve() {
    uint8_t query[512];
    for (;;) {
      sockaddr_in from{};
      socklen_t from_length = sizeof(from);
      const ssize_t n =
          recvfrom(fd_, query, sizeof(query), 0,
                   reinterpret_cast<sockaddr*>(&from), &from_length);
      if (n <= 12) return;  // shut down (or no DNS header)
      const std::vector<uint8_t> response =
          answer_(absl::MakeConstSpan(query, static_cast<size_t>(n)));
      if (response.empty()) continue;
      sendto(fd_, response.data(), response.size(), 0,
             reinterpret_cast<sockaddr*>(&from), from_length);
    }
  }

  Answer answer_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace trr::testing

#endif  // TRR_TESTS_PEERS_UDP_RESPONDER_H_
