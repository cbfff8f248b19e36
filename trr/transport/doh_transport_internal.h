// What DohTransport's source files share: doh_transport.cc (requests:
// sending, finishing; the TLS configuration; the dump), doh_queue.cc (the
// queue, retries, the HTTP/1.1 pool), doh_connect.cc (connections set up by
// ConnectJobs, and swept) and doh_connection.cc (a connection that is up:
// HTTP/2 through nghttp2, HTTP/1.1 through Http1ResponseReader, failing).
// Internal to libtrr.

#ifndef TRR_TRR_TRANSPORT_DOH_TRANSPORT_INTERNAL_H_
#define TRR_TRR_TRANSPORT_DOH_TRANSPORT_INTERNAL_H_

#include <nghttp2/nghttp2.h>
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
#include "trr/transport/http1.h"
#include "trr/transport/tls_trust.h"

namespace trr {
namespace doh_internal {

// nghttp2 ends a session that owes more than 1,000 PING and SETTINGS ACKs
// (its flood guard). Fed at most this much at a time, with what it owes
// taken out in between, a legal storm of them never reaches that: 4,096
// bytes hold at most 455 empty SETTINGS frames.
constexpr size_t kFeedChunk = 4096;
// Bytes owed to a server that is not reading them, beyond which nothing more
// is read from it until it takes some.
constexpr size_t kMaxPendingOutput = 256 * 1024;
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
using doh_internal::kFeedChunk;
using doh_internal::kHttp1Connections;
using doh_internal::kHttp1Stream;
using doh_internal::kMaxPendingOutput;

struct DohTransport::Request {
  RequestId id = 0;
  Callback done;
  std::vector<uint8_t> query;
  size_t query_sent = 0;  // POST: how much of it nghttp2 has taken
  // How long the server has to answer once the request is on a connection
  // (DohSender::Send), and the timer that holds it to that.
  absl::Duration timeout;
  Timer timer;
  // Where it was sent; none while it waits for a connection.
  Connection* conn = nullptr;
  int32_t stream = -1;
  // Its place in the stream window's count (StreamWindow::NextSequence).
  uint64_t sequence = 0;
  // The response so far.
  bool answered = false;  // a final status arrived
  int status = 0;
  std::string content_type;
  std::vector<uint8_t> body;
  // Times it was sent again after a refusal, and the timer it waits on
  // before the next time.
  int retries = 0;
  Timer retry_timer;
};

struct DohTransport::Connection {
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
  // The last stream a GOAWAY said the server will answer; the ones above
  // it were refused. -1 when no GOAWAY came.
  int32_t goaway_last_stream = -1;
  // A POST whose body nghttp2 has not taken yet (flow control): no other
  // stream starts before it has, or its HEADERS would go first.
  int32_t unsent_body_stream = -1;
  // Stopped reading: it owes the server more than kMaxPendingOutput.
  bool reading_paused = false;
  uint64_t answered = 0;
  std::string session_error;  // why nghttp2 ended the session, if it did
  // Connection health: when the server was last heard from (monotonic),
  // and the timer of the PING out, if one is.
  absl::Time last_heard;
  Timer ping_timer;
  // Dropped for not answering a PING: not the server's refusal, so the
  // stream window keeps its size.
  bool unhealthy = false;
  // TCP and TLS, as the ConnectJob brought them up.
  std::unique_ptr<TlsSocket> socket;
  FdWatch watch;  // the socket's; stopped before it is closed
  // HTTP/2, or (when the server chose it in ALPN, or chose nothing)
  // HTTP/1.1: one request at a time, kept alive for the next.
  nghttp2_session* session = nullptr;
  std::unique_ptr<Http1ResponseReader> http1;
  // Bytes nghttp2 produced that TLS has not taken yet.
  std::string pending;
  absl::flat_hash_map<int32_t, Request*> streams;

  SSL* ssl() const { return socket->ssl; }
  BioSocket& io() { return socket->io; }

  ~Connection() {
    watch.Stop();  // before the socket closes
    if (session != nullptr) nghttp2_session_del(session);
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
