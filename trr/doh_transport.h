// DohTransport: sends DNS messages to a DoH server over HTTP/2 (RFC 8484)
// with libcurl, all on one EventLoop thread: the curl multi handle is driven
// by the loop's epoll through curl's socket interface, queries share one
// multiplexed connection, and every request ends in exactly one callback.
//
// Loop thread only: construct, call and destroy it on its EventLoop.

#ifndef TRR_TRR_DOH_TRANSPORT_H_
#define TRR_TRR_DOH_TRANSPORT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "trr/doh_uri.h"
#include "trr/event_loop.h"
#include "trr/ip_address.h"

namespace trr {

enum class DohError : uint8_t {
  kOk,
  kHttpStatus,   // a status other than 200
  kContentType,  // not application/dns-message
  kTooLarge,     // a body over 65535 bytes
  kTls,          // handshake or certificate verification failed
  kConnect,      // could not connect, or could not resolve the DoH host
  kTimeout,      // no complete answer within the request's timeout
  kReset,        // the connection or stream broke (RST, GOAWAY, truncation)
  kCancelled,    // cancelled, or the transport shut down
  kOther,
};

// "ok", "http-status", "content-type", ...: stable names for counters.
const char* DohErrorName(DohError error);

struct DohResult {
  DohError error = DohError::kOk;
  int http_status = 0;
  // What went wrong, for people (curl's message, the status, the type).
  std::string detail;
  std::vector<uint8_t> body;

  bool ok() const { return error == DohError::kOk; }
};

struct DohConfig {
  DohUri uri;
  // network.trr.useGET: GET ?dns=base64url instead of POST.
  bool use_get = false;
  // network.trr.bootstrapAddr: the DoH host is reached at these addresses
  // and never resolved by the system.
  std::vector<IpAddress> bootstrap;
  // network.trr.ca_file: trusted instead of the system CA store.
  std::string ca_file;
  // network.trr.credentials: sent as the Authorization header.
  std::string credentials;
};

struct DohTransportStats {
  uint64_t requests = 0;
  uint64_t completed_ok = 0;
  // Connections curl had to open (CURLINFO_NUM_CONNECTS summed).
  uint64_t connections_opened = 0;
  uint64_t errors[static_cast<int>(DohError::kOther) + 1] = {};
};

// What the resolver needs from a DoH transport: DohTransport, or a stand-in
// in tests and fuzzers (trr/resolver_testing.h). Loop thread only.
class DohSender {
 public:
  using Callback = std::function<void(DohResult)>;
  using RequestId = uint64_t;
  virtual ~DohSender() = default;
  virtual void Configure(DohConfig config) = 0;
  // `done` runs exactly once, on the loop, never inside this call.
  virtual RequestId Send(absl::Span<const uint8_t> query,
                         absl::Duration timeout, Callback done) = 0;
  // Completes the request with kCancelled now; no-op if already done.
  virtual void Cancel(RequestId id) = 0;
  virtual void CancelAll() = 0;
  // Connections opened so far, for the dump.
  virtual uint64_t connections_opened() const = 0;
};

class DohTransport final : public DohSender {
 public:
  explicit DohTransport(EventLoop* loop);
  // Completes every outstanding request with kCancelled.
  ~DohTransport();
  DohTransport(const DohTransport&) = delete;
  DohTransport& operator=(const DohTransport&) = delete;

  // Applies to requests sent from now on. A new URI, bootstrap or CA means
  // a new connection (curl matches connections on all of them).
  void Configure(DohConfig config) override;
  const DohConfig& config() const { return config_; }

  // Sends `query`; `done` runs exactly once, on the loop, never inside this
  // call.
  RequestId Send(absl::Span<const uint8_t> query, absl::Duration timeout,
                 Callback done) override;
  void Cancel(RequestId id) override;
  void CancelAll() override;
  uint64_t connections_opened() const override {
    return stats_.connections_opened;
  }

  size_t in_flight() const { return requests_.size(); }
  const DohTransportStats& stats() const { return stats_; }

 private:
  struct Request;
  static int OnSocket(void* easy, int fd, int what, void* self, void*);
  static int OnTimer(void* multi, long timeout_ms, void* self);
  static size_t OnBody(char* data, size_t size, size_t n, void* request);
  void SocketAction(int fd, int events);
  void CollectDone();
  void Finish(Request* request, DohResult result);
  void* TakeEasyHandle();
  void ApplyConnectionOptions(void* easy);

  EventLoop* const loop_;
  void* multi_ = nullptr;  // CURLM*
  DohConfig config_;
  // Bumped by Configure(); pooled handles from an older one are set up again.
  uint64_t config_generation_ = 0;
  struct SList;
  std::unique_ptr<SList> post_headers_, get_headers_, resolve_;
  bool resolve_loaded_ = true;
  // "host:port" entries this transport added to curl's DNS cache.
  std::vector<std::string> resolved_host_ports_;
  std::vector<std::pair<void*, uint64_t>> idle_handles_;
  absl::flat_hash_map<RequestId, std::unique_ptr<Request>> requests_;
  RequestId next_id_ = 1;
  EventLoop::TimerId curl_timer_ = 0;
  DohTransportStats stats_;
};

}  // namespace trr

#endif  // TRR_TRR_DOH_TRANSPORT_H_
