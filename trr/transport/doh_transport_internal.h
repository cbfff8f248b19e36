// What DohTransport's source files share: doh_transport.cc (requests:
// sending, finishing; the TLS configuration; the dump), doh_queue.cc (the
// queue, retries, the HTTP/1.1 pool), doh_connect.cc (connections set up by
// ConnectJobs, and swept) and doh_connection.cc (a connection that is up:
// HTTP/2 through nghttp2, HTTP/1.1 through Http1ResponseReader, failing).
// Internal to libtrr.

#ifndef TRR_TRR_TRANSPORT_DOH_TRANSPORT_INTERNAL_H_
#define TRR_TRR_TRANSPORT_DOH_TRANSPORT_INTERNAL_H_

#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "trr/loop/fd_watch.h"
#include "trr/transport/doh_transport.h"
#include "trr/transport/http1_session.h"
#include "trr/transport/http2_session.h"
#include "trr/transport/tls_trust.h"

namespace trr {
namespace doh_internal {

// The HTTP/1.1 pool: few connections, kept alive, as a browser keeps a
// handful per host.
constexpr size_t kHttp1Connections = 4;
// An HTTP/1.1 connection carries one request at a time; it sits in the
// connection's stream table under this key.
constexpr int32_t kHttp1Stream = 1;

inline SSL_CTX* Ctx(void* tls) { return static_cast<SSL_CTX*>(tls); }

}  // namespace doh_internal

// For DohTransport's source files, which include this alone.
using doh_internal::Ctx;
using doh_internal::kHttp1Connections;
using doh_internal::kHttp1Stream;

struct DohTransport::Request {
  RequestId id = 0;
  Callback done;
  std::vector<uint8_t> query;
  // How long the server has to answer once the request is on a connection
  // (DohSender::Send), and the timer that holds it to that.
  absl::Duration timeout;
  Timer timer;
  // Where it was sent; none while it waits for a connection.
  Connection* conn = nullptr;
  int32_t stream = -1;
  // Its place in the stream window's count (StreamWindow::NextSequence).
  uint64_t sequence = 0;
  // The server had it: a final status (HTTP/2) or a byte of a response
  // (HTTP/1.1) came, so it fails rather than going again. The status, if
  // one came.
  bool answered = false;
  int status = 0;
  // Times it was sent again after a refusal, and the timer it waits on
  // before the next time.
  int retries = 0;
  Timer retry_timer;
};

struct DohTransport::Connection final : Http2Session::Listener,
                                        Http1Session::Listener {
  enum class State : uint8_t {
    kReady,  // HTTP/2 or HTTP/1.1 up
    kDead,   // failed or closed; swept when nothing is on the stack
  };
  DohTransport* owner = nullptr;
  uint64_t serial = 0;
  State state = State::kReady;
  // After GOAWAY or a new configuration: takes no new requests and closes
  // when its last stream does.
  bool draining = false;
  uint64_t answered = 0;
  // Connection health: the timer of the PING out, if one is.
  Timer ping_timer;
  // Dropped for not answering a PING: not the server's refusal, so the
  // stream window keeps its size.
  bool unhealthy = false;
  // TCP and TLS, as the ConnectJob brought them up.
  std::unique_ptr<TlsSocket> socket;
  FdWatch watch;  // the socket's; stopped before it is closed
  // HTTP/2, or (when the server chose it in ALPN, or chose nothing)
  // HTTP/1.1: one request at a time, kept alive for the next.
  std::unique_ptr<Http2Session> h2;
  std::unique_ptr<Http1Session> h1;
  // The requests it carries, by stream (kHttp1Stream for HTTP/1.1).
  absl::flat_hash_map<int32_t, Request*> streams;

  SSL* ssl() const { return socket->ssl; }

  // Http2Session::Listener, for the owner.
  void OnStreamEnd(int32_t stream, Http2Session::StreamEnd end) override {
    owner->OnStreamEnd(this, stream, std::move(end));
  }
  void OnGoaway(int32_t last_stream) override {
    owner->OnGoaway(this, last_stream);
  }
  void OnPingAnswered() override { owner->OnPingAnswered(this); }
  // Http1Session::Listener, for the owner.
  void OnResponse(Http1ResponseReader::Response response) override {
    owner->OnHttp1Response(this, std::move(response));
  }

  ~Connection() {
    watch.Stop();  // before the socket closes
  }
};

// Marks a stretch of work driven by the network (or a timer): completions
// found inside it wait until it ends, when connections that died are swept,
// waiting requests dispatched, and the callbacks run with nothing of
// nghttp2's or OpenSSL's on the stack.
class DohTransport::DeliveryScope {
 public:
  explicit DeliveryScope(DohTransport* transport) : transport_(transport) {
    ++transport_->io_depth_;
  }
  ~DeliveryScope() {
    if (--transport_->io_depth_ > 0) return;
    transport_->Sweep();
    transport_->Dispatch();
    transport_->Deliver();
  }
  DeliveryScope(const DeliveryScope&) = delete;
  DeliveryScope& operator=(const DeliveryScope&) = delete;

 private:
  DohTransport* const transport_;
};

}  // namespace trr

#endif  // TRR_TRR_TRANSPORT_DOH_TRANSPORT_INTERNAL_H_
