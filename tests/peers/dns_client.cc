#include "tests/peers/dns_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace trr::testing {
namespace {

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  return address;
}

absl::Status Errno(const char* what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// Waits until `fd` is readable; false at the deadline.
bool WaitReadable(int fd, absl::Time deadline) {
  const int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
  if (ms <= 0) return false;
  pollfd pfd{fd, POLLIN, 0};
  return poll(&pfd, 1, static_cast<int>(ms)) == 1;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

absl::StatusOr<std::vector<uint8_t>> UdpExchange(
    uint16_t port, const std::vector<uint8_t>& query, absl::Duration timeout) {
  Fd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return Errno("socket");
  const sockaddr_in address = Loopback(port);
  if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&address),
              sizeof(address)) != 0) {
    return Errno("connect");
  }
  if (send(fd.get(), query.data(), query.size(), 0) < 0) return Errno("send");
  if (!WaitReadable(fd.get(), absl::Now() + timeout)) {
    return absl::DeadlineExceededError("no UDP answer");
  }
  std::vector<uint8_t> answer(65535);
  const ssize_t n = recv(fd.get(), answer.data(), answer.size(), 0);
  if (n < 0) return Errno("recv");
  answer.resize(static_cast<size_t>(n));
  return answer;
}

absl::StatusOr<std::vector<uint8_t>> TcpExchange(
    uint16_t port, const std::vector<uint8_t>& query, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return Errno("socket");
  const sockaddr_in address = Loopback(port);
  if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&address),
              sizeof(address)) != 0) {
    return Errno("connect");
  }
  std::vector<uint8_t> framed = {static_cast<uint8_t>(query.size() >> 8),
                                 static_cast<uint8_t>(query.size())};
  framed.insert(framed.end(), query.begin(), query.end());
  if (send(fd.get(), framed.data(), framed.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(framed.size())) {
    return Errno("send");
  }
  std::vector<uint8_t> buffer;
  uint8_t chunk[4096];
  while (buffer.size() < 2 ||
         buffer.size() < 2 + ((size_t{buffer[0]} << 8) | buffer[1])) {
    if (!WaitReadable(fd.get(), deadline)) {
      return absl::DeadlineExceededError("no complete TCP answer");
    }
    const ssize_t n = recv(fd.get(), chunk, sizeof(chunk), 0);
    if (n <= 0) return absl::UnavailableError("TCP connection closed");
    buffer.insert(buffer.end(), chunk, chunk + n);
  }
  return std::vector<uint8_t>(buffer.begin() + 2, buffer.end());
}

}  // namespace trr::testing
