#include "trr/doh_transport.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "trr/dns/base64url.h"
#include "trr/http1.h"
#include "trr/socket_address.h"

namespace trr {
namespace {

// How long one address may take to accept a connection before the next
// bootstrap (or resolved) address is tried. The request timeouts still
// bound the whole attempt.
constexpr absl::Duration kConnectAttempt = absl::Seconds(3);
// A connection not up (TCP and TLS) within this fails, and the next request
// starts another: a server that accepted and went quiet is not waited on
// for ever.
constexpr absl::Duration kConnectionSetup = absl::Seconds(10);
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

SSL_CTX* Ctx(void* tls) { return static_cast<SSL_CTX*>(tls); }

// What the socket BIO works on: the socket, and whether the last read
// found it empty (then Pump() stops without one more recv for EAGAIN).
struct BioSocket {
  int fd = -1;
  bool drained = false;
};

BioSocket* Socket(BIO* bio) {
  return static_cast<BioSocket*>(BIO_get_data(bio));
}

bool WouldBlock() {
  return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

// A BIO over a non-blocking socket that sends with MSG_NOSIGNAL: writing to
// a connection the server has closed must give EPIPE, not a SIGPIPE that
// kills the process that embeds us.
BIO_METHOD* SocketBioMethod() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m =
        BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "trr socket");
    BIO_meth_set_write(m, [](BIO* bio, const char* data, int length) -> int {
      BIO_clear_retry_flags(bio);
      const ssize_t n = send(Socket(bio)->fd, data, static_cast<size_t>(length),
                             MSG_NOSIGNAL);
      if (n < 0 && WouldBlock()) BIO_set_retry_write(bio);
      return static_cast<int>(n);
    });
    BIO_meth_set_read(m, [](BIO* bio, char* data, int length) -> int {
      BIO_clear_retry_flags(bio);
      BioSocket* socket = Socket(bio);
      const ssize_t n = recv(socket->fd, data, static_cast<size_t>(length), 0);
      if (n < 0 && WouldBlock()) BIO_set_retry_read(bio);
      socket->drained = n < length;
      return static_cast<int>(n);
    });
    BIO_meth_set_ctrl(m, [](BIO*, int command, long, void*) -> long {
      return command == BIO_CTRL_FLUSH ? 1 : 0;
    });
    BIO_meth_set_create(m, [](BIO* bio) -> int {
      BIO_set_init(bio, 1);
      return 1;
    });
    return m;
  }();
  return method;
}

// The first error OpenSSL queued, or `fallback`.
std::string OpenSslError(const char* fallback) {
  const unsigned long code = ERR_get_error();
  if (code == 0) return fallback;
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

// SSLKEYLOGFILE, as curl, Firefox and Chromium honour it: TLS secrets for
// a person decrypting a capture of their own traffic (tests/privacy does).
// Only when the variable is set; one line per secret, appended.
void WriteKeyLog(const SSL*, const char* line) {
  const char* path = std::getenv("SSLKEYLOGFILE");
  if (path == nullptr || *path == '\0') return;
  const int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;
  const std::string text = absl::StrCat(line, "\n");
  (void)!write(fd, text.data(), text.size());
  close(fd);
}

nghttp2_nv Header(absl::string_view name, absl::string_view value,
                  uint8_t flags = NGHTTP2_NV_FLAG_NONE) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())),
                    name.size(), value.size(), flags};
}

}  // namespace

const char* DohErrorName(DohError error) {
  switch (error) {
    case DohError::kOk:
      return "ok";
    case DohError::kHttpStatus:
      return "http-status";
    case DohError::kContentType:
      return "content-type";
    case DohError::kTooLarge:
      return "too-large";
    case DohError::kTls:
      return "tls";
    case DohError::kConnect:
      return "connect";
    case DohError::kTimeout:
      return "timeout";
    case DohError::kReset:
      return "reset";
    case DohError::kRefused:
      return "refused";
    case DohError::kCancelled:
      return "cancelled";
    case DohError::kOther:
      return "other";
  }
  return "unknown";
}

DohResult CheckedAnswer(int http_status, absl::string_view content_type,
                        std::vector<uint8_t> body) {
  DohResult result;
  result.http_status = http_status;
  if (http_status != 200) {
    result.error = DohError::kHttpStatus;
    result.detail = absl::StrCat("HTTP status ", http_status);
    return result;
  }
  absl::string_view media = content_type.substr(0, content_type.find(';'));
  media = absl::StripAsciiWhitespace(media);
  if (!absl::EqualsIgnoreCase(media, "application/dns-message")) {
    result.error = DohError::kContentType;
    result.detail = absl::StrCat("content type \"", content_type, "\"");
    return result;
  }
  result.body = std::move(body);
  return result;
}

struct DohTransport::Request {
  RequestId id = 0;
  Callback done;
  std::vector<uint8_t> query;
  size_t query_sent = 0;  // POST: how much of it nghttp2 has taken
  EventLoop::TimerId timer = 0;
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
  EventLoop::TimerId retry_timer = 0;
};

struct DohTransport::Connection {
  enum class State : uint8_t {
    kResolving,    // looking up the DoH host's addresses
    kConnecting,   // TCP connect to addresses[next_address - 1]
    kHandshaking,  // TLS
    kReady,        // HTTP/2 up
    kDead,         // failed or closed; swept when nothing is on the stack
  };
  DohTransport* owner = nullptr;
  uint64_t serial = 0;
  State state = State::kResolving;
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
  std::vector<IpAddress> addresses;
  size_t next_address = 0;
  std::string last_error;
  std::string session_error;  // why nghttp2 ended the session, if it did
  EventLoop::TimerId connect_timer = 0;  // moves on to the next address
  EventLoop::TimerId setup_timer = 0;    // gives up on the whole setup
  BioSocket io;
  uint32_t watched = 0;  // the epoll events asked for; 0 when not watched
  SSL* ssl = nullptr;
  // HTTP/2, or (when the server chose it in ALPN, or chose nothing)
  // HTTP/1.1: one request at a time, kept alive for the next.
  nghttp2_session* session = nullptr;
  std::unique_ptr<Http1ResponseReader> http1;
  // Bytes nghttp2 produced that TLS has not taken yet.
  std::string pending;
  absl::flat_hash_map<int32_t, Request*> streams;

  ~Connection() {
    if (session != nullptr) nghttp2_session_del(session);
    if (ssl != nullptr) SSL_free(ssl);
    if (io.fd >= 0) close(io.fd);
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

struct DohTransport::Callbacks {
  static Connection* Conn(void* user) { return static_cast<Connection*>(user); }

  static Request* Find(Connection* conn, int32_t stream) {
    auto it = conn->streams.find(stream);
    return it == conn->streams.end() ? nullptr : it->second;
  }

  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame,
                      const uint8_t* name, size_t name_length,
                      const uint8_t* value, size_t value_length, uint8_t,
                      void* user) {
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    Request* r = Find(Conn(user), frame->hd.stream_id);
    if (r == nullptr) return 0;
    const absl::string_view n(reinterpret_cast<const char*>(name), name_length);
    const absl::string_view v(reinterpret_cast<const char*>(value),
                              value_length);
    if (n == ":status") {
      int status = 0;
      // 1xx are interim; the final status is what counts.
      if (absl::SimpleAtoi(v, &status) && status >= 200) {
        r->answered = true;
        r->status = status;
      }
    } else if (n == "content-type") {
      r->content_type.assign(v.data(), v.size());
    }
    return 0;
  }

  static int OnData(nghttp2_session* session, uint8_t, int32_t stream,
                    const uint8_t* data, size_t length, void* user) {
    Connection* conn = Conn(user);
    Request* r = Find(conn, stream);
    if (r == nullptr) return 0;
    if (r->body.size() + length > kMaxDohBody) {
      nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, stream,
                                NGHTTP2_CANCEL);
      conn->owner->Finish(r, DohError::kTooLarge,
                          "answer body over 65535 bytes");
      return 0;
    }
    r->body.insert(r->body.end(), data, data + length);
    return 0;
  }

  static int OnFrame(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    if (frame->hd.type != NGHTTP2_GOAWAY) return 0;
    // Streams above the server's last one are refused (and sent again, in
    // OnStreamClose); the rest finish here, and new ones go elsewhere.
    Connection* conn = Conn(user);
    ++conn->owner->stats_.goaways;
    conn->draining = true;
    conn->goaway_last_stream = frame->goaway.last_stream_id;
    if (conn->owner->active_ == conn) conn->owner->active_ = nullptr;
    return 0;
  }

  static int OnStreamClose(nghttp2_session*, int32_t stream, uint32_t error,
                           void* user) {
    Connection* conn = Conn(user);
    Request* r = Find(conn, stream);
    if (r == nullptr) return 0;
    DohTransport* self = conn->owner;
    const auto in_flight = static_cast<uint32_t>(conn->streams.size());
    conn->streams.erase(stream);
    r->conn = nullptr;
    r->stream = -1;
    if (error == NGHTTP2_REFUSED_STREAM && !r->answered) {
      // RFC 9113 section 8.7: the server did not process it, so it is safe
      // to send again. A GOAWAY's refusal is the server going away, not a
      // sign that it is busy: the window keeps its size.
      ++self->stats_.refused;
      const bool by_goaway =
          conn->goaway_last_stream >= 0 && stream > conn->goaway_last_stream;
      if (!by_goaway) self->window_.OnRefused(r->sequence, in_flight);
      if (self->Requeue(r)) return 0;
      self->Finish(r, DohError::kRefused,
                   absl::StrCat("the server refused the stream ",
                                r->retries + 1, " times"));
      return 0;
    }
    if (r->answered && error == NGHTTP2_NO_ERROR) {
      ++conn->answered;
      self->window_.OnAnswer(in_flight);
    }
    if (error != NGHTTP2_NO_ERROR) {
      self->Finish(r, DohError::kReset,
                   absl::StrCat("the server reset the stream: ",
                                nghttp2_http2_strerror(error)));
    } else if (!r->answered) {
      self->Finish(r, DohError::kReset, "the stream ended without a response");
    } else {
      self->Finish(
          r, CheckedAnswer(r->status, r->content_type, std::move(r->body)));
    }
    return 0;
  }

  // POST bodies: looked up by stream, as the request may be gone (timed
  // out or cancelled) by the time nghttp2 asks.
  static ssize_t ReadBody(nghttp2_session*, int32_t stream, uint8_t* buffer,
                          size_t length, uint32_t* flags, nghttp2_data_source*,
                          void* user) {
    Connection* conn = Conn(user);
    Request* r = Find(conn, stream);
    size_t n = 0;
    if (r != nullptr) {
      // Queries over one frame (16384 bytes) take several calls.
      n = std::min(length, r->query.size() - r->query_sent);
      std::memcpy(buffer, r->query.data() + r->query_sent, n);
      r->query_sent += n;
    }
    if (r == nullptr || r->query_sent == r->query.size()) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      // This body is all out: the next stream may start.
      if (conn->unsent_body_stream == stream) {
        conn->unsent_body_stream = -1;
        conn->owner->Tick();
      }
    }
    return static_cast<ssize_t>(n);
  }

  // Why nghttp2 is ending the session (a protocol error of the server's),
  // for the failure's detail.
  static int OnError(nghttp2_session*, int, const char* message, size_t length,
                     void* user) {
    Conn(user)->session_error.assign(message, length);
    return 0;
  }

  static nghttp2_session_callbacks* Get() {
    static nghttp2_session_callbacks* const callbacks = [] {
      nghttp2_session_callbacks* c = nullptr;
      nghttp2_session_callbacks_new(&c);
      nghttp2_session_callbacks_set_on_header_callback(c, &OnHeader);
      nghttp2_session_callbacks_set_on_data_chunk_recv_callback(c, &OnData);
      nghttp2_session_callbacks_set_on_frame_recv_callback(c, &OnFrame);
      nghttp2_session_callbacks_set_on_stream_close_callback(c, &OnStreamClose);
      nghttp2_session_callbacks_set_error_callback2(c, &OnError);
      return c;
    }();
    return callbacks;
  }
};

DohTransport::DohTransport(EventLoop* loop) : loop_(loop) {
  Configure(DohConfig());
}

DohTransport::~DohTransport() {
  shutting_down_ = true;
  CancelAll();
  // What the cancelled callbacks sent meanwhile is cancelled too.
  while (!deliveries_.empty()) {
    Deliver();
    CancelAll();
  }
  // Its CancelAll runs our callbacks, which see shutting_down_.
  host_resolver_.reset();
  for (auto& conn : connections_) CloseSocket(conn.get());
  connections_.clear();
  SSL_CTX_free(Ctx(tls_));
}

DohTransportStats DohTransport::stats() const {
  DohTransportStats stats = stats_;
  stats.window_decreases = window_.decreases();
  return stats;
}

absl::Duration DohTransport::RetryDelay(int retry) {
  return retry <= 1 ? absl::ZeroDuration()
                    : absl::Milliseconds(10) * (1 << (retry - 2));
}

void DohTransport::Configure(DohConfig config) {
  config_ = std::move(config);
  authority_ = config_.uri.Authority();
  host_ip_ = IpAddress::Parse(config_.uri.host);
  // A new server (or the same one anew): nothing learnt about the old one
  // holds, its protocol included.
  window_ = StreamWindow();
  http1_ = false;
  SSL_CTX_free(Ctx(tls_));
  tls_error_.clear();
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  tls_ = ctx;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  // Flush() retries a write with the rest of its buffer, moved.
  SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // Read whatever the socket has in one recv, not each record's header and
  // body apart.
  SSL_CTX_set_read_ahead(ctx, 1);
  // HTTP/2 first; a server that only speaks HTTP/1.1 (or says nothing) is
  // still a DoH server, as Firefox treats it.
  static const unsigned char kAlpn[] = {2,   'h', '2', 8,   'h', 't',
                                        't', 'p', '/', '1', '.', '1'};
  SSL_CTX_set_alpn_protos(ctx, kAlpn, sizeof(kAlpn));
  const char* key_log = std::getenv("SSLKEYLOGFILE");
  if (key_log != nullptr && *key_log != '\0') {
    SSL_CTX_set_keylog_callback(ctx, &WriteKeyLog);
  }
  ERR_clear_error();
  if (!config_.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, config_.ca_file.c_str(), nullptr) !=
        1) {
      tls_error_ = absl::StrCat("cannot load the CA file ", config_.ca_file,
                                ": ", OpenSslError("unreadable"));
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    tls_error_ = absl::StrCat("cannot load the system CA store: ",
                              OpenSslError("unknown error"));
  }
  // Connections made for the old configuration take no new requests: ones
  // that are up finish what they carry, the rest are dropped (their
  // requests wait for a connection of the new one).
  for (auto& conn : connections_) {
    if (conn->state == Connection::State::kReady) {
      conn->draining = true;
    } else if (conn->state != Connection::State::kDead) {
      CloseSocket(conn.get());
      conn->state = Connection::State::kDead;
    }
  }
  active_ = nullptr;
  if (!connections_.empty() || !waiting_.empty()) Tick();
}

DohTransport::RequestId DohTransport::Send(absl::Span<const uint8_t> query,
                                           absl::Duration timeout,
                                           Callback done) {
  auto owned = std::make_unique<Request>();
  Request* r = owned.get();
  r->id = next_id_++;
  r->done = std::move(done);
  const RequestId id = r->id;
  requests_.emplace(id, std::move(owned));
  ++stats_.requests;
  if (config_.uri.host.empty()) {
    PostWhileAlive([this, id] {
      auto it = requests_.find(id);
      if (it != requests_.end()) {
        Finish(it->second.get(), DohError::kConnect,
               "no DoH URI is configured");
      }
    });
    return id;
  }
  r->query.assign(query.begin(), query.end());
  r->timer = loop_->AddTimer(timeout, [this, id, timeout] {
    auto it = requests_.find(id);
    if (it == requests_.end()) return;
    DeliveryScope scope(this);
    Abandon(it->second.get(), DohError::kTimeout,
            absl::StrCat("no answer within ", absl::FormatDuration(timeout)));
  });
  // Whatever completes now is delivered on a later turn, never inside Send.
  ++io_depth_;
  if (waiting_.empty() && active_ != nullptr && HasRoom(active_)) {
    Submit(active_, r);
    Tick();
  } else {
    waiting_.push_back(id);
    Dispatch();
  }
  --io_depth_;
  if (!deliveries_.empty()) Tick();
  return id;
}

void DohTransport::Cancel(RequestId id) {
  auto it = requests_.find(id);
  if (it == requests_.end()) return;
  Abandon(it->second.get(), DohError::kCancelled, "cancelled");
}

void DohTransport::CancelAll() {
  std::vector<RequestId> ids;
  ids.reserve(requests_.size());
  for (const auto& [id, request] : requests_) ids.push_back(id);
  for (RequestId id : ids) Cancel(id);
}

void DohTransport::Abandon(Request* r, DohError error, std::string detail) {
  Connection* conn = r->conn;
  if (conn != nullptr && conn->session != nullptr &&
      conn->state == Connection::State::kReady && r->stream >= 0) {
    // Tell the server to stop: the stream's id is not reused either way.
    nghttp2_submit_rst_stream(conn->session, NGHTTP2_FLAG_NONE, r->stream,
                              NGHTTP2_CANCEL);
    Tick();
  }
  Finish(r, error, std::move(detail));  // frees r
  if (conn != nullptr && conn->http1 != nullptr) {
    // HTTP/1.1 cannot take a request back: its answer would be read as the
    // next one's. The connection goes.
    CloseSocket(conn);
    conn->state = Connection::State::kDead;
    Tick();
  }
}

void DohTransport::Finish(Request* r, DohError error, std::string detail) {
  DohResult result;
  result.error = error;
  result.detail = std::move(detail);
  result.http_status = r->status;
  Finish(r, std::move(result));
}

void DohTransport::Finish(Request* r, DohResult result) {
  auto it = requests_.find(r->id);
  if (it == requests_.end()) return;
  loop_->CancelTimer(r->timer);
  if (r->retry_timer != 0) loop_->CancelTimer(r->retry_timer);
  if (r->conn != nullptr) {
    Connection* conn = r->conn;
    conn->streams.erase(r->stream);
    if (conn->unsent_body_stream == r->stream) {
      // Reset before its body went: nghttp2 will not ask for it now.
      conn->unsent_body_stream = -1;
      Tick();
    }
    // A draining connection that is now empty closes on the next sweep.
    if (conn->draining && conn->streams.empty()) Tick();
  }
  ++stats_.errors[static_cast<int>(result.error)];
  if (result.ok()) ++stats_.completed_ok;
  deliveries_.push_back(Delivery{std::move(r->done), std::move(result)});
  requests_.erase(it);  // frees r
  if (io_depth_ == 0) Deliver();
}

void DohTransport::Deliver() {
  // A callback may send, cancel or configure. What that completes is
  // delivered after these, on the next turn of the loop: a caller that
  // sends again whenever a request fails at once (no CA file, say) gets a
  // turn of the loop per round, not a loop of its own that starves it.
  std::deque<Delivery> batch;
  batch.swap(deliveries_);
  for (Delivery& delivery : batch) {
    delivery.done(std::move(delivery.result));
  }
  if (!deliveries_.empty() && !shutting_down_) Tick();
}

bool DohTransport::Requeue(Request* r) {
  if (r->answered || shutting_down_ || r->retries >= kMaxRefusedRetries) {
    return false;
  }
  ++r->retries;
  ++stats_.retried;
  r->body.clear();
  r->content_type.clear();
  r->status = 0;
  const absl::Duration delay = RetryDelay(r->retries);
  if (delay == absl::ZeroDuration()) {
    Enqueue(r);
    return true;
  }
  const RequestId id = r->id;
  r->retry_timer = loop_->AddTimer(delay, [this, id] {
    auto it = requests_.find(id);
    if (it == requests_.end()) return;
    it->second->retry_timer = 0;
    DeliveryScope scope(this);
    Enqueue(it->second.get());
  });
  return true;
}

void DohTransport::Enqueue(Request* r) {
  // Older requests first: a retried one goes back before those sent after.
  waiting_.insert(std::lower_bound(waiting_.begin(), waiting_.end(), r->id),
                  r->id);
  Tick();
}

uint32_t DohTransport::ServerMaxStreams(const Connection* conn) {
  return nghttp2_session_get_remote_settings(
      conn->session, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
}

bool DohTransport::HasRoom(Connection* conn) const {
  if (conn->state != Connection::State::kReady || conn->session == nullptr ||
      conn->draining || conn->unsent_body_stream >= 0) {
    return false;
  }
  return conn->streams.size() < window_.Limit(ServerMaxStreams(conn));
}

void DohTransport::Dispatch() {
  if (shutting_down_ || waiting_.empty()) return;
  // Submitting runs nghttp2, whose callbacks may finish requests: their
  // callbacks wait until nghttp2 is off the stack (our caller delivers).
  ++io_depth_;
  DispatchWaiting();
  --io_depth_;
  if (io_depth_ == 0 && !deliveries_.empty()) Tick();
}

void DohTransport::DispatchWaiting() {
  if (http1_) {
    DispatchHttp1();
    return;
  }
  if (active_ == nullptr) {
    StartConnection(/*make_active=*/true);
    return;
  }
  bool submitted = false;
  // Submit may retire the connection (stream ids run out).
  while (!waiting_.empty() && active_ != nullptr && HasRoom(active_)) {
    auto it = requests_.find(waiting_.front());
    waiting_.pop_front();
    if (it == requests_.end() || it->second->conn != nullptr) continue;
    Submit(active_, it->second.get());
    submitted = true;
  }
  if (submitted) Tick();
}

void DohTransport::DispatchHttp1() {
  // Idle connections take the oldest waiting requests, one each.
  bool submitted = false;
  size_t live = 0;
  size_t coming = 0;  // connections not up yet
  for (size_t i = 0; i < connections_.size(); ++i) {
    Connection* conn = connections_[i].get();
    if (conn->state == Connection::State::kDead || conn->draining) continue;
    ++live;
    if (conn->state != Connection::State::kReady) {
      ++coming;
      continue;
    }
    while (conn->http1 != nullptr && conn->streams.empty() &&
           !waiting_.empty()) {
      auto it = requests_.find(waiting_.front());
      waiting_.pop_front();
      if (it == requests_.end() || it->second->conn != nullptr) continue;
      SubmitHttp1(conn, it->second.get());
      submitted = true;
    }
  }
  // The rest wait for the connections coming up, or for new ones, up to
  // the pool's size; past that, for one to come free.
  size_t uncovered = waiting_.size() > coming ? waiting_.size() - coming : 0;
  while (uncovered > 0 && live < kHttp1Connections && !waiting_.empty()) {
    StartConnection(/*make_active=*/false);
    --uncovered;
    ++live;
  }
  if (submitted) Tick();
}

void DohTransport::StartConnection(bool make_active) {
  connections_.push_back(std::make_unique<Connection>());
  Connection* conn = connections_.back().get();
  conn->owner = this;
  conn->serial = next_serial_++;
  if (make_active) active_ = conn;
  ++stats_.connections_opened;
  const uint64_t serial = conn->serial;
  conn->setup_timer = loop_->AddTimer(kConnectionSetup, [this, serial] {
    Connection* conn = FindConnection(serial);
    if (conn == nullptr) return;
    conn->setup_timer = 0;
    DeliveryScope scope(this);
    Fail(conn, DohError::kTimeout,
         absl::StrCat("no connection to ", config_.uri.host, " within ",
                      absl::FormatDuration(kConnectionSetup)));
  });
  if (!tls_error_.empty()) {
    Fail(conn, DohError::kTls, tls_error_);
    return;
  }
  // An IP literal is where to go; bootstrapAddr is for host names.
  if (host_ip_) {
    conn->addresses = {*host_ip_};
    TryNextAddress(conn);
    return;
  }
  if (!config_.bootstrap.empty()) {
    conn->addresses = config_.bootstrap;
    TryNextAddress(conn);
    return;
  }
  // No bootstrap address: the system resolves the DoH host, as Firefox
  // does without network.trr.bootstrapAddr.
  if (host_resolver_ == nullptr) host_resolver_ = MakeSystemResolver(loop_, 1);
  host_resolver_->Resolve(
      config_.uri.host, QueryKind::kUnspecified, kConnectAttempt,
      [this, serial](NativeResult result) {
        if (shutting_down_) return;
        Connection* conn = FindConnection(serial);
        if (conn == nullptr || conn->state != Connection::State::kResolving) {
          return;
        }
        DeliveryScope scope(this);
        if (result.outcome != NativeResult::Outcome::kOk ||
            result.addresses.empty()) {
          Fail(conn, DohError::kConnect,
               absl::StrCat("cannot resolve the DoH host ", config_.uri.host,
                            result.error.empty() ? "" : ": ", result.error));
          return;
        }
        conn->addresses = std::move(result.addresses);
        TryNextAddress(conn);
      });
}

DohTransport::Connection* DohTransport::FindConnection(uint64_t serial) {
  for (auto& conn : connections_) {
    if (conn->serial == serial) return conn.get();
  }
  return nullptr;
}

void DohTransport::CloseSocket(Connection* conn) {
  for (EventLoop::TimerId* timer : {&conn->connect_timer, &conn->setup_timer}) {
    if (*timer != 0) loop_->CancelTimer(*timer);
    *timer = 0;
  }
  if (conn->watched != 0) {
    loop_->UnwatchFd(conn->io.fd);
    conn->watched = 0;
  }
}

void DohTransport::TryNextAddress(Connection* conn) {
  if (conn->connect_timer != 0) loop_->CancelTimer(conn->connect_timer);
  conn->connect_timer = 0;
  if (conn->watched != 0) loop_->UnwatchFd(conn->io.fd);
  conn->watched = 0;
  if (conn->io.fd >= 0) {
    close(conn->io.fd);
    conn->io.fd = -1;
  }
  while (conn->next_address < conn->addresses.size()) {
    const IpAddress& ip = conn->addresses[conn->next_address++];
    socklen_t length = 0;
    const sockaddr_storage address =
        SocketAddress(ip, config_.uri.port, &length);
    const std::string where = HostPort(ip, config_.uri.port);
    conn->io.fd =
        socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
               IPPROTO_TCP);
    if (conn->io.fd < 0) {
      conn->last_error = absl::StrCat("socket: ", strerror(errno));
      continue;
    }
    const int one = 1;
    setsockopt(conn->io.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    conn->state = Connection::State::kConnecting;
    if (connect(conn->io.fd, reinterpret_cast<const sockaddr*>(&address),
                length) == 0) {
      OnConnected(conn);
      return;
    }
    if (errno == EINPROGRESS) {
      Watch(conn, EPOLLOUT);
      if (conn->next_address < conn->addresses.size()) {
        const uint64_t serial = conn->serial;
        conn->connect_timer =
            loop_->AddTimer(kConnectAttempt, [this, serial, where] {
              Connection* conn = FindConnection(serial);
              if (conn == nullptr) return;
              conn->connect_timer = 0;
              DeliveryScope scope(this);
              conn->last_error =
                  absl::StrCat("connect to ", where, ": no answer");
              TryNextAddress(conn);
            });
      }
      return;
    }
    conn->last_error =
        absl::StrCat("connect to ", where, ": ", strerror(errno));
    close(conn->io.fd);
    conn->io.fd = -1;
  }
  Fail(
      conn, DohError::kConnect,
      conn->last_error.empty() ? "no address to connect to" : conn->last_error);
}

void DohTransport::Watch(Connection* conn, uint32_t events) {
  if (events == conn->watched) return;  // an epoll_ctl saved
  conn->watched = events;
  const uint64_t serial = conn->serial;
  loop_->WatchFd(conn->io.fd, events, [this, serial](uint32_t fired) {
    Connection* conn = FindConnection(serial);
    if (conn == nullptr) return;
    DeliveryScope scope(this);
    OnEvents(conn, fired);
  });
}

void DohTransport::OnEvents(Connection* conn, uint32_t events) {
  switch (conn->state) {
    case Connection::State::kConnecting: {
      int error = 0;
      socklen_t length = sizeof(error);
      getsockopt(conn->io.fd, SOL_SOCKET, SO_ERROR, &error, &length);
      if (error != 0) {
        conn->last_error = absl::StrCat("connect: ", strerror(error));
        TryNextAddress(conn);
      } else {
        OnConnected(conn);
      }
      return;
    }
    case Connection::State::kHandshaking:
      Handshake(conn);
      return;
    case Connection::State::kReady:
      if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) Pump(conn);
      if (conn->state == Connection::State::kReady && (events & EPOLLOUT)) {
        Flush(conn);
      }
      return;
    case Connection::State::kResolving:
    case Connection::State::kDead:
      return;
  }
}

void DohTransport::OnConnected(Connection* conn) {
  if (conn->connect_timer != 0) {
    loop_->CancelTimer(conn->connect_timer);
    conn->connect_timer = 0;
  }
  conn->state = Connection::State::kHandshaking;
  conn->ssl = SSL_new(Ctx(tls_));
  BIO* bio = BIO_new(SocketBioMethod());
  BIO_set_data(bio, &conn->io);
  SSL_set_bio(conn->ssl, bio, bio);
  const std::string& host = config_.uri.host;
  if (host_ip_) {
    // An IP literal is checked against the certificate's IP addresses, and
    // SNI carries no addresses (RFC 6066 section 3).
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(conn->ssl), host.c_str());
  } else {
    SSL_set_tlsext_host_name(conn->ssl, host.c_str());
    SSL_set1_host(conn->ssl, host.c_str());
  }
  SSL_set_connect_state(conn->ssl);
  Handshake(conn);
}

void DohTransport::Handshake(Connection* conn) {
  ERR_clear_error();
  const int rc = SSL_do_handshake(conn->ssl);
  if (rc == 1) {
    const unsigned char* protocol = nullptr;
    unsigned int length = 0;
    SSL_get0_alpn_selected(conn->ssl, &protocol, &length);
    const bool http1 = length != 2 || std::memcmp(protocol, "h2", 2) != 0;
    if (http1 != http1_) {
      // The server speaks the other protocol now: connections of the one
      // it spoke before finish what they carry and close.
      http1_ = http1;
      for (auto& other : connections_) {
        if (other.get() != conn && other->state == Connection::State::kReady) {
          other->draining = true;
        }
      }
    }
    if (http1) {
      StartHttp1(conn);
    } else {
      StartSession(conn);
    }
    return;
  }
  const int error = SSL_get_error(conn->ssl, rc);
  if (error == SSL_ERROR_WANT_READ) {
    Watch(conn, EPOLLIN);
    return;
  }
  if (error == SSL_ERROR_WANT_WRITE) {
    Watch(conn, EPOLLOUT);
    return;
  }
  const long verify = SSL_get_verify_result(conn->ssl);
  if (verify != X509_V_OK) {
    Fail(conn, DohError::kTls,
         absl::StrCat("TLS with ", config_.uri.host,
                      " failed: certificate not trusted: ",
                      X509_verify_cert_error_string(verify)));
    return;
  }
  // A server that accepted and then reset or closed before TLS was up (one
  // going down, say) is a connection that failed, not a TLS failure.
  const int saved_errno = errno;
  const bool eof =
      ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
  if (error == SSL_ERROR_SYSCALL || eof) {
    Fail(conn, DohError::kConnect,
         absl::StrCat("the connection to ", config_.uri.host,
                      " broke during the TLS handshake: ",
                      error == SSL_ERROR_SYSCALL && saved_errno != 0
                          ? strerror(saved_errno)
                          : "closed by the server"));
    return;
  }
  Fail(conn, DohError::kTls,
       absl::StrCat("TLS with ", config_.uri.host,
                    " failed: ", OpenSslError("handshake failed")));
}

void DohTransport::StartSession(Connection* conn) {
  loop_->CancelTimer(conn->setup_timer);
  conn->setup_timer = 0;
  nghttp2_session_client_new(&conn->session, Callbacks::Get(), conn);
  // No server push: a resolver has no use for it.
  const nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0}};
  nghttp2_submit_settings(conn->session, NGHTTP2_FLAG_NONE, settings, 1);
  conn->state = Connection::State::kReady;
  Watch(conn, EPOLLIN);
  // A connection made for HTTP/1.1 that found HTTP/2.
  if (active_ == nullptr) active_ = conn;
  if (active_ == conn) Dispatch();
  Flush(conn);
}

void DohTransport::StartHttp1(Connection* conn) {
  loop_->CancelTimer(conn->setup_timer);
  conn->setup_timer = 0;
  conn->http1 = std::make_unique<Http1ResponseReader>(kMaxDohBody);
  conn->state = Connection::State::kReady;
  // New requests go to whichever pooled connection is free.
  if (active_ == conn) active_ = nullptr;
  Watch(conn, EPOLLIN);
  Dispatch();
}

void DohTransport::SubmitHttp1(Connection* conn, Request* r) {
  Http1Request request;
  request.get = config_.use_get;
  std::string target;
  if (config_.use_get) {
    std::string encoded;
    dns::Base64UrlEncodeTo(r->query, encoded);
    target = config_.uri.GetPath(encoded);
    request.target = target;
  } else {
    request.target = config_.uri.path;
    request.body = r->query;
  }
  request.authority = authority_;
  request.credentials = config_.credentials;
  AppendHttp1Request(request, conn->pending);
  conn->http1->Await();
  r->conn = conn;
  r->stream = kHttp1Stream;
  conn->streams[kHttp1Stream] = r;
}

void DohTransport::OnHttp1Response(Connection* conn,
                                   Http1ResponseReader::Response response) {
  auto it = conn->streams.find(kHttp1Stream);
  if (it == conn->streams.end()) return;  // cannot be: one awaited per request
  ++conn->answered;
  // "Connection: close", or HTTP/1.0: no next request on it.
  if (!response.keep_alive) conn->draining = true;
  Finish(it->second, CheckedAnswer(response.status, response.content_type,
                                   std::move(response.body)));
}

void DohTransport::Submit(Connection* conn, Request* r) {
  static constexpr absl::string_view kType = "application/dns-message";
  std::string path;
  if (config_.use_get) {
    std::string encoded;
    dns::Base64UrlEncodeTo(r->query, encoded);
    path = config_.uri.GetPath(encoded);
  }
  const std::string length = absl::StrCat(r->query.size());
  // Nothing that tells one user from another: no user agent, cookies or
  // languages. Credentials are not kept in HPACK's table.
  nghttp2_nv headers[10];
  size_t n = 0;
  headers[n++] = Header(":method", config_.use_get ? "GET" : "POST");
  headers[n++] = Header(":scheme", "https");
  headers[n++] = Header(":authority", authority_);
  headers[n++] = Header(":path", config_.use_get ? path : config_.uri.path);
  headers[n++] = Header("accept", kType);
  // RFC 8484 section 5.1 lets caches keep answers; none of ours should sit
  // in a shared cache.
  headers[n++] = Header("cache-control", "no-store");
  headers[n++] = Header("accept-encoding", "identity");
  if (!config_.credentials.empty()) {
    headers[n++] =
        Header("authorization", config_.credentials, NGHTTP2_NV_FLAG_NO_INDEX);
  }
  nghttp2_data_provider body{};
  if (!config_.use_get) {
    headers[n++] = Header("content-type", kType);
    headers[n++] = Header("content-length", length);
    body.read_callback = &Callbacks::ReadBody;
  }
  r->query_sent = 0;
  const int32_t stream =
      nghttp2_submit_request(conn->session, nullptr, headers, n,
                             config_.use_get ? nullptr : &body, nullptr);
  if (stream < 0) {
    // Stream ids run out after 2^30 requests: finish on a new connection.
    if (stream == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE) {
      conn->draining = true;
      if (active_ == conn) active_ = nullptr;
      Enqueue(r);
      return;
    }
    Finish(r, DohError::kOther,
           absl::StrCat("HTTP/2: ", nghttp2_strerror(stream)));
    return;
  }
  r->conn = conn;
  r->stream = stream;
  r->sequence = window_.NextSequence();
  conn->streams[stream] = r;
  if (config_.use_get) return;
  // Its HEADERS and DATA now, together. If flow control holds the body
  // back, nothing else starts until it has gone (ReadBody says when).
  conn->unsent_body_stream = stream;
  Produce(conn);
}

bool DohTransport::Produce(Connection* conn, size_t up_to) {
  if (conn->session == nullptr) return true;  // HTTP/1.1 writes directly
  while (conn->pending.size() < up_to) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(conn->session, &data);
    if (n < 0) {
      Fail(conn, DohError::kOther,
           absl::StrCat("HTTP/2: ", nghttp2_strerror(static_cast<int>(n))));
      return false;
    }
    if (n == 0) return true;
    // After a write that would have blocked, TLS wants the same bytes
    // again; more after them is allowed (and the buffer may move).
    conn->pending.append(reinterpret_cast<const char*>(data),
                         static_cast<size_t>(n));
  }
  return true;
}

void DohTransport::Pump(Connection* conn) {
  if (conn->http1 != nullptr) {
    PumpHttp1(conn);
    return;
  }
  uint8_t buffer[16384];
  ERR_clear_error();
  conn->io.drained = false;
  for (;;) {
    if (conn->pending.size() > kMaxPendingOutput) {
      // The server is not reading what we owe it (ACKs of its PINGs, say):
      // read no more from it until it has taken some.
      conn->reading_paused = true;
      break;
    }
    const int n = SSL_read(conn->ssl, buffer, sizeof(buffer));
    if (n <= 0) {
      const int error = SSL_get_error(conn->ssl, n);
      if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) break;
      Fail(conn, DohError::kReset,
           error == SSL_ERROR_ZERO_RETURN || error == SSL_ERROR_SYSCALL
               ? "the server closed the connection"
               : absl::StrCat("TLS: ", OpenSslError("read failed")));
      return;
    }
    for (size_t fed = 0; fed < static_cast<size_t>(n);) {
      const size_t chunk = std::min(kFeedChunk, static_cast<size_t>(n) - fed);
      const ssize_t used =
          nghttp2_session_mem_recv(conn->session, buffer + fed, chunk);
      if (used < 0) {
        Fail(
            conn, DohError::kReset,
            absl::StrCat("HTTP/2: ", nghttp2_strerror(static_cast<int>(used))));
        return;
      }
      fed += chunk;
      // Take out the ACKs it owes now, so that no storm of PINGs or
      // SETTINGS piles them up past nghttp2's flood guard.
      if (!Produce(conn)) return;
    }
    // The socket is empty and TLS holds nothing more: epoll says when there
    // is more (it is level-triggered), so no recv just to hear EAGAIN.
    if (conn->io.drained && !SSL_has_pending(conn->ssl)) break;
  }
  Flush(conn);
}

void DohTransport::PumpHttp1(Connection* conn) {
  Http1ResponseReader& reader = *conn->http1;
  const Http1ResponseReader::OnResponse on_response =
      [this, conn](Http1ResponseReader::Response response) {
        OnHttp1Response(conn, std::move(response));
      };
  uint8_t buffer[16384];
  ERR_clear_error();
  conn->io.drained = false;
  for (;;) {
    const int n = SSL_read(conn->ssl, buffer, sizeof(buffer));
    if (n <= 0) {
      const int error = SSL_get_error(conn->ssl, n);
      if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) break;
      const bool closed =
          error == SSL_ERROR_ZERO_RETURN || error == SSL_ERROR_SYSCALL;
      // A response whose body runs to the close ends here. A request that
      // has had no byte of a response goes again (Fail): a kept-alive
      // connection the server closed just as it went out.
      if (closed && !reader.ReadEnd(on_response)) {
        Fail(conn, DohError::kReset, reader.ErrorDetail());
        return;
      }
      Fail(conn, DohError::kReset,
           closed ? "the server closed the connection"
                  : absl::StrCat("TLS: ", OpenSslError("read failed")));
      return;
    }
    // Bytes of a response: the server has the request, so if the
    // connection breaks now, it fails rather than going again.
    auto in_flight = conn->streams.find(kHttp1Stream);
    if (in_flight != conn->streams.end()) in_flight->second->answered = true;
    if (!reader.Read(absl::MakeConstSpan(buffer, static_cast<size_t>(n)),
                     on_response)) {
      in_flight = conn->streams.find(kHttp1Stream);
      if (in_flight != conn->streams.end() &&
          reader.error() == Http1ResponseReader::Error::kTooLarge) {
        Finish(in_flight->second, DohError::kTooLarge, reader.ErrorDetail());
      }
      Fail(conn, DohError::kReset, reader.ErrorDetail());
      return;
    }
    if (conn->io.drained && !SSL_has_pending(conn->ssl)) break;
  }
  Flush(conn);
}

void DohTransport::Flush(Connection* conn) {
  if (conn->state != Connection::State::kReady) return;
  ERR_clear_error();
  // nghttp2 hands out a frame or less at a time; what it has goes out
  // together, up to a full TLS record, in one write.
  constexpr size_t kRecord = 16384;
  for (;;) {
    if (!Produce(conn, kRecord)) return;
    if (conn->pending.empty()) break;
    const int written = SSL_write(conn->ssl, conn->pending.data(),
                                  static_cast<int>(conn->pending.size()));
    if (written <= 0) {
      const int error = SSL_get_error(conn->ssl, written);
      if (error == SSL_ERROR_WANT_WRITE || error == SSL_ERROR_WANT_READ) break;
      Fail(conn, DohError::kReset, "the connection broke while writing");
      return;
    }
    conn->pending.erase(0, static_cast<size_t>(written));
  }
  // Both sides done: after a GOAWAY with every stream closed, or nghttp2
  // ended the session (the server broke the protocol, or flooded us past
  // what it takes); then the streams left will not be answered.
  if (conn->session != nullptr && !nghttp2_session_want_read(conn->session) &&
      !nghttp2_session_want_write(conn->session) && conn->pending.empty()) {
    if (!conn->streams.empty()) {
      Fail(conn, DohError::kReset,
           absl::StrCat("HTTP/2 session ended: ", conn->session_error.empty()
                                                      ? "GOAWAY"
                                                      : conn->session_error));
      return;
    }
    conn->draining = true;
    if (active_ == conn) active_ = nullptr;
  }
  if (conn->reading_paused && conn->pending.size() <= kMaxPendingOutput / 2) {
    // The server took enough: read again, starting with what TLS holds.
    conn->reading_paused = false;
    PostWhileAlive([this, serial = conn->serial] {
      Connection* conn = FindConnection(serial);
      if (conn == nullptr || conn->state != Connection::State::kReady) return;
      DeliveryScope scope(this);
      Pump(conn);
    });
  }
  uint32_t events = conn->reading_paused ? 0u : uint32_t{EPOLLIN};
  if (!conn->pending.empty()) events |= EPOLLOUT;
  Watch(conn, events);
}

void DohTransport::Tick() {
  if (tick_posted_) return;
  tick_posted_ = true;
  // At the end of this turn of the loop: what a burst of requests (or the
  // answers that set them off) produced goes out in one TLS record.
  PostWhileAlive([this] {
    tick_posted_ = false;
    DeliveryScope scope(this);
    for (size_t i = 0; i < connections_.size(); ++i) {
      Flush(connections_[i].get());
    }
  });
}

void DohTransport::Fail(Connection* conn, DohError error,
                        const std::string& detail) {
  const bool was_ready = conn->state == Connection::State::kReady;
  CloseSocket(conn);
  conn->state = Connection::State::kDead;
  if (active_ == conn) active_ = nullptr;
  std::vector<Request*> carried;
  carried.reserve(conn->streams.size());
  for (const auto& [stream, r] : conn->streams) carried.push_back(r);
  conn->streams.clear();
  bool unanswered = false;
  uint64_t newest = 0;
  for (const Request* r : carried) {
    if (r->answered) continue;
    unanswered = true;
    newest = std::max(newest, r->sequence);
  }
  // A server that drops a connection with streams in flight may have had
  // more than it could take (BIND 9.18 did with bursts): carry fewer.
  if (was_ready && unanswered && conn->http1 == nullptr) {
    window_.OnRefused(newest, static_cast<uint32_t>(carried.size()));
  }
  for (Request* r : carried) {
    r->conn = nullptr;
    r->stream = -1;
    // Not answered: the query may not even have reached the server, and a
    // DNS query is safe to send again. Requeue puts it back in send order.
    if (!Requeue(r)) Finish(r, error, detail);
  }
  if (!was_ready) {
    // It never came up: what waited for it fails the same way.
    std::deque<RequestId> ids;
    ids.swap(waiting_);
    for (RequestId id : ids) {
      auto it = requests_.find(id);
      if (it != requests_.end()) Finish(it->second.get(), error, detail);
    }
  }
  Tick();  // sweeps it
}

std::vector<DohConnectionInfo> DohTransport::Connections() const {
  std::vector<DohConnectionInfo> out;
  for (const auto& conn : connections_) {
    if (conn->state == Connection::State::kDead) continue;
    DohConnectionInfo info;
    info.protocol = conn->http1 != nullptr ? "http/1.1" : "h2";
    switch (conn->state) {
      case Connection::State::kResolving:
        info.state = "resolving";
        break;
      case Connection::State::kConnecting:
        info.state = "connecting";
        break;
      case Connection::State::kHandshaking:
        info.state = "tls";
        break;
      default:
        info.state = conn->draining ? "draining" : "open";
        break;
    }
    if (conn->next_address > 0) {
      info.address =
          HostPort(conn->addresses[conn->next_address - 1], config_.uri.port);
    }
    info.in_flight = static_cast<uint32_t>(conn->streams.size());
    if (conn->session != nullptr) {
      info.server_max_streams = ServerMaxStreams(conn.get());
      info.stream_limit = window_.Limit(info.server_max_streams);
    } else if (conn->http1 != nullptr) {
      info.server_max_streams = 1;
      info.stream_limit = 1;
    }
    info.answered = conn->answered;
    out.push_back(std::move(info));
  }
  return out;
}

void DohTransport::Sweep() {
  for (size_t i = 0; i < connections_.size();) {
    Connection* conn = connections_[i].get();
    const bool ready = conn->state == Connection::State::kReady;
    if (!(conn->state == Connection::State::kDead ||
          (ready && conn->draining && conn->streams.empty()))) {
      ++i;
      continue;
    }
    if (ready && conn->session != nullptr) {
      // A polite goodbye, if the socket takes it now.
      nghttp2_session_terminate_session(conn->session, NGHTTP2_NO_ERROR);
      const uint8_t* data = nullptr;
      const ssize_t n = nghttp2_session_mem_send(conn->session, &data);
      if (n > 0) {
        ERR_clear_error();
        conn->pending.append(reinterpret_cast<const char*>(data),
                             static_cast<size_t>(n));
        SSL_write(conn->ssl, conn->pending.data(),
                  static_cast<int>(conn->pending.size()));
      }
    }
    CloseSocket(conn);
    if (active_ == conn) active_ = nullptr;
    connections_.erase(connections_.begin() + static_cast<ptrdiff_t>(i));
  }
}

void DohTransport::PostWhileAlive(std::function<void()> task) {
  loop_->Post([alive = std::weak_ptr<bool>(alive_), task = std::move(task)] {
    if (!alive.expired()) task();
  });
}

}  // namespace trr
