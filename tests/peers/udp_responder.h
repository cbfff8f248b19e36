// UdpResponder: a DNS server of a test's own on 127.0.0.1 (a free port),
// answering each datagram with what the test's function returns for it
// (nothing when empty), on a thread of its own until it is destroyed. A
// test may also send several datagrams for one query, some of them from a
// decoy socket on another port (an off-path attacker's forgeries).
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
  // One datagram to send back, from the server's socket or the decoy's.
  struct Reply {
    std::vector<uint8_t> bytes;
    bool from_decoy = false;
  };
  using Replies =
      std::function<std::vector<Reply>(absl::Span<const uint8_t> query)>;

  explicit UdpResponder(Answer answer)
      : UdpResponder(Replies(
            [answer = std::move(answer)](absl::Span<const uint8_t> query) {
              std::vector<Reply> replies;
              std::vector<uint8_t> bytes = answer(query);
              if (!bytes.empty()) replies.push_back({std::move(bytes), false});
              return replies;
            })) {}
  explicit UdpResponder(Replies replies) : replies_(std::move(replies)) {
    fd_ = Bind(&port_);
    uint16_t decoy_port = 0;
    decoy_fd_ = Bind(&decoy_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~UdpResponder() {
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
    close(decoy_fd_);
  }
  UdpResponder(const UdpResponder&) = delete;
  UdpResponder& operator=(const UdpResponder&) = delete;

  uint16_t port() const { return port_; }

 private:
  static int Bind(uint16_t* port) {
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t length = sizeof(addr);
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
    *port = ntohs(addr.sin_port);
    return fd;
  }

  void Serve() {
    uint8_t query[512];
    for (;;) {
      sockaddr_in from{};
      socklen_t from_length = sizeof(from);
      const ssize_t n =
          recvfrom(fd_, query, sizeof(query), 0,
                   reinterpret_cast<sockaddr*>(&from), &from_length);
      if (n <= 12) return;  // shut down (or no DNS header)
      for (const Reply& reply :
           replies_(absl::MakeConstSpan(query, static_cast<size_t>(n)))) {
        sendto(reply.from_decoy ? decoy_fd_ : fd_, reply.bytes.data(),
               reply.bytes.size(), 0, reinterpret_cast<sockaddr*>(&from),
               from_length);
      }
    }
  }

  Replies replies_;
  int fd_ = -1;
  int decoy_fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace trr::testing

#endif  // TRR_TESTS_PEERS_UDP_RESPONDER_H_
