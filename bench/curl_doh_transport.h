// CurlDohTransport: DoH on libcurl's multi interface, the first DoH
// transport. DohTransport (nghttp2 over OpenSSL for HTTP/2, http-parser on
// the same connections for HTTP/1.1) replaced it because it measured faster
// and cheaper in both protocols (docs/PERFORMANCE.md). It is not part of
// the shipped library: it stays, in both protocols, so that comparison can
// be run again (`doh_load --transport=curl` or `curl-http1`,
// scripts/bench_doh.sh). Only bench/ builds it.
//
// Loop thread only: construct, call and destroy it on its EventLoop.

#ifndef TRR_BENCH_CURL_DOH_TRANSPORT_H_
#define TRR_BENCH_CURL_DOH_TRANSPORT_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "trr/loop/event_loop.h"
#include "trr/transport/doh_transport.h"

namespace trr {

class CurlDohTransport final : public DohSender {
 public:
  enum class Http : uint8_t { k2, k1_1 };
  struct Options {
    Http http = Http::k2;
    // Connections to the server at most; more requests wait for one.
    // HTTP/2 multiplexes everything on one.
    int max_connections = 1;
  };
  explicit CurlDohTransport(EventLoop* loop) : CurlDohTransport(loop, {}) {}
  CurlDohTransport(EventLoop* loop, Options options);
  // Completes every outstanding request with kCancelled.
  ~CurlDohTransport() override;
  CurlDohTransport(const CurlDohTransport&) = delete;
  CurlDohTransport& operator=(const CurlDohTransport&) = delete;

  // Applies to requests that reach libcurl from now on (HTTP/1.1: also
  // those still waiting for a free connection). A new URI, bootstrap or CA
  // means a new connection (curl matches connections on all of them).
  void Configure(DohConfig config) override;
  RequestId Send(absl::Span<const uint8_t> query, absl::Duration timeout,
                 Callback done) override;
  void Cancel(RequestId id) override;
  void CancelAll() override;
  DohTransportStats stats() const override { return stats_; }
  std::vector<DohConnectionInfo> Connections() const override;

 private:
  struct Request;
  static int OnSocket(void* easy, int fd, int what, void* self, void*);
  // libcurl opens and closes its connections' sockets through these, so
  // the dump can list them.
  static int OpenSocket(void* self, int purpose, void* address);
  static int CloseSocket(void* self, int fd);
  static int OnTimer(void* multi, long timeout_ms, void* self);
  static size_t OnBody(char* data, size_t size, size_t n, void* request);
  void SocketAction(int fd, int events);
  void CollectDone();
  void Finish(Request* request, DohResult result);
  // Hands a request to libcurl.
  void Start(Request* request);
  // HTTP/1.1: starts queued requests while a connection is free.
  void StartQueued();
  void* TakeEasyHandle();
  void ApplyConnectionOptions(void* easy);

  EventLoop* const loop_;
  const Options options_;
  void* multi_ = nullptr;  // CURLM*
  // The connections libcurl has open, by socket.
  struct Socket {
    std::string peer;
    uint64_t answered = 0;
    // curl said CURL_POLL_REMOVE, but it is still in epoll.
    bool parked = false;
  };
  absl::flat_hash_map<int, Socket> sockets_;
  DohConfig config_;
  // Bumped by Configure(); pooled handles from an older one are set up again.
  uint64_t config_generation_ = 0;
  struct SList;
  std::shared_ptr<const SList> post_headers_, get_headers_;
  std::unique_ptr<SList> resolve_;
  bool resolve_loaded_ = true;
  // "host:port" entries this transport added to curl's DNS cache.
  std::vector<std::string> resolved_host_ports_;
  std::vector<std::pair<void*, uint64_t>> idle_handles_;
  absl::flat_hash_map<RequestId, std::unique_ptr<Request>> requests_;
  // Requests libcurl has now, and (HTTP/1.1) those waiting for a
  // connection, in send order.
  size_t in_curl_ = 0;
  std::deque<RequestId> queue_;
  RequestId next_id_ = 1;
  EventLoop::TimerId curl_timer_ = 0;
  DohTransportStats stats_;
};

}  // namespace trr

#endif  // TRR_BENCH_CURL_DOH_TRANSPORT_H_
