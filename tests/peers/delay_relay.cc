#include "tests/peers/delay_relay.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace trr::testing {
namespace {

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  return addr;
}

// Bytes due on one socket at a time; `eof` closes its sending side.
struct Chunk {
  absl::Time due;
  std::string bytes;
  bool eof = false;
};

struct Side {
  int fd = -1;
  std::deque<Chunk> out;  // to write to fd
  bool reading = true;    // not at end of stream yet
};

struct Pair {
  Side side[2];  // 0: the client, 1: upstream
  bool client_spoke = false;
  size_t to_client = 0;  // the server's bytes relayed so far
};

// Closes with a reset rather than a FIN: SO_LINGER with a zero timeout.
void Reset(int fd) {
  const linger now{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &now, sizeof(now));
  close(fd);
}

void SendAll(int fd, const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n =
        send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd, POLLOUT, 0};
      poll(&p, 1, 100);
    } else {
      return;  // the peer is gone
    }
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<DelayRelay>> DelayRelay::Start(
    uint16_t upstream, absl::Duration one_way,
    std::optional<size_t> cut_after) {
  std::unique_ptr<DelayRelay> relay(new DelayRelay());
  relay->upstream_ = upstream;
  relay->one_way_ = one_way;
  relay->cut_after_ = cut_after;
  relay->listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = Loopback(0);
  socklen_t length = sizeof(addr);
  if (relay->listen_fd_ < 0 ||
      bind(relay->listen_fd_, reinterpret_cast<sockaddr*>(&addr), length) !=
          0 ||
      listen(relay->listen_fd_, 64) != 0 ||
      getsockname(relay->listen_fd_, reinterpret_cast<sockaddr*>(&addr),
                  &length) != 0) {
    return absl::InternalError(
        absl::StrCat("delay relay: cannot listen: ", std::strerror(errno)));
  }
  relay->port_ = ntohs(addr.sin_port);
  relay->stop_fd_ = eventfd(0, EFD_CLOEXEC);
  relay->thread_ = std::thread([r = relay.get()] { r->Run(); });
  return relay;
}

DelayRelay::~DelayRelay() {
  if (thread_.joinable()) {
    const uint64_t one = 1;
    (void)!write(stop_fd_, &one, sizeof(one));
    thread_.join();
  }
  if (listen_fd_ >= 0) close(listen_fd_);
  if (stop_fd_ >= 0) close(stop_fd_);
}

void DelayRelay::Run() {
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  auto watch = [ep](int fd, uint64_t tag) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = tag;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  };
  constexpr uint64_t kListen = ~uint64_t{0}, kStop = kListen - 1;
  watch(listen_fd_, kListen);
  watch(stop_fd_, kStop);
  std::map<uint64_t, Pair> pairs;
  uint64_t next_pair = 0;
  const int one = 1;
  for (;;) {
    // Sleep until the next chunk is due, or something arrives.
    absl::Time next = absl::InfiniteFuture();
    for (auto& [id, pair] : pairs) {
      for (Side& side : pair.side) {
        if (!side.out.empty()) next = std::min(next, side.out.front().due);
      }
    }
    int timeout_ms = -1;
    if (next != absl::InfiniteFuture()) {
      timeout_ms = static_cast<int>(std::max<int64_t>(
          0, absl::ToInt64Milliseconds(next - absl::Now() +
                                       absl::Microseconds(999))));
    }
    epoll_event events[32];
    const int n = epoll_wait(ep, events, 32, timeout_ms);
    const absl::Time now = absl::Now();
    for (int i = 0; i < n; ++i) {
      const uint64_t tag = events[i].data.u64;
      if (tag == kStop) {
        for (auto& [id, pair] : pairs) {
          for (Side& side : pair.side) close(side.fd);
        }
        close(ep);
        return;
      }
      if (tag == kListen) {
        const int client =
            accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (client < 0) continue;
        const int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in up = Loopback(upstream_);
        if (server < 0 || connect(server, reinterpret_cast<sockaddr*>(&up),
                                  sizeof(up)) != 0) {
          close(client);
          if (server >= 0) close(server);
          continue;
        }
        setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        ++connections_;
        const uint64_t id = next_pair++;
        Pair& pair = pairs[id];
        pair.side[0].fd = client;
        pair.side[1].fd = server;
        watch(client, id << 1);
        watch(server, (id << 1) | 1);
        continue;
      }
      auto it = pairs.find(tag >> 1);
      if (it == pairs.end()) continue;
      Pair& pair = it->second;
      const int from = static_cast<int>(tag & 1);
      Side& src = pair.side[from];
      Side& dst = pair.side[1 - from];
      char buffer[65536];
      const ssize_t got = recv(src.fd, buffer, sizeof(buffer), MSG_DONTWAIT);
      if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      Chunk chunk;
      chunk.due = now + one_way_;
      if (from == 0 && !pair.client_spoke) {
        // Behind a real handshake, the client could not have sent yet.
        pair.client_spoke = true;
        chunk.due += 2 * one_way_;
      }
      // In order: never before what is already queued.
      if (!dst.out.empty()) chunk.due = std::max(chunk.due, dst.out.back().due);
      if (got > 0) {
        chunk.bytes.assign(buffer, static_cast<size_t>(got));
      } else {
        chunk.eof = true;
        src.reading = false;
        epoll_ctl(ep, EPOLL_CTL_DEL, src.fd, nullptr);
      }
      dst.out.push_back(std::move(chunk));
    }
    // Deliver what is due; close pairs that are done both ways, and reset
    // those that reached the cut.
    for (auto it = pairs.begin(); it != pairs.end();) {
      Pair& pair = it->second;
      bool cut = false;
      for (int to = 0; to < 2 && !cut; ++to) {
        Side& side = pair.side[to];
        while (!side.out.empty() && side.out.front().due <= now) {
          Chunk& chunk = side.out.front();
          if (chunk.eof) {
            shutdown(side.fd, SHUT_WR);
          } else if (to == 0 && cut_after_ &&
                     pair.to_client + chunk.bytes.size() >= *cut_after_) {
            SendAll(side.fd,
                    chunk.bytes.substr(0, *cut_after_ - pair.to_client));
            cut = true;
            break;
          } else {
            SendAll(side.fd, chunk.bytes);
            if (to == 0) pair.to_client += chunk.bytes.size();
          }
          side.out.pop_front();
        }
      }
      if (cut) {
        // Counted first: a client that sees the reset may look at once.
        ++cuts_;
        for (Side& side : pair.side) Reset(side.fd);
        it = pairs.erase(it);
        continue;
      }
      const bool done = !pair.side[0].reading && !pair.side[1].reading &&
                        pair.side[0].out.empty() && pair.side[1].out.empty();
      if (done) {
        for (Side& side : pair.side) close(side.fd);
        it = pairs.erase(it);
      } else {
        ++it;
      }
    }
  }
}

}  // namespace trr::testing
