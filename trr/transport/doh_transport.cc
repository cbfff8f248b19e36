#include "trr/transport/doh_transport.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "trr/loop/socket_address.h"
#include "trr/transport/doh_transport_internal.h"
#include "trr/transport/tls_trust.h"

namespace trr {
namespace {

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
    case DohError::kOhttp:
      return "ohttp";
  }
  return "unknown";
}

DohResult CheckedAnswer(int http_status, absl::string_view content_type,
                        std::vector<uint8_t> body, absl::string_view expected) {
  DohResult result;
  result.http_status = http_status;
  if (http_status != 200) {
    result.error = DohError::kHttpStatus;
    result.detail = absl::StrCat("HTTP status ", http_status);
    return result;
  }
  absl::string_view media = content_type.substr(0, content_type.find(';'));
  media = absl::StripAsciiWhitespace(media);
  if (!absl::EqualsIgnoreCase(media, expected)) {
    result.error = DohError::kContentType;
    result.detail = absl::StrCat("content type \"", content_type, "\"");
    return result;
  }
  result.body = std::move(body);
  return result;
}

DohTransport::DohTransport(EventLoop* loop)
    : loop_(loop),
      backoff_(
          reinterpret_cast<uintptr_t>(this) ^
          static_cast<uint64_t>(absl::ToUnixNanos(EventLoop::MonotonicNow()))) {
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
  // Before the host resolver, whose CancelAll runs their callbacks.
  setups_.clear();
  active_setup_ = nullptr;
  host_resolver_.reset();
  for (auto& conn : connections_) CloseSocket(conn.get());
  connections_.clear();
  SSL_CTX_free(Ctx(tls_));
  SSL_SESSION_free(static_cast<SSL_SESSION*>(session_));
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
  backoff_.Configure(config_.backoff_initial, config_.backoff_max);
  authority_ = config_.uri.Authority();
  host_ip_ = IpAddress::Parse(config_.uri.host);
  // A new server (or the same one anew): nothing learnt about the old one
  // holds, its protocol included.
  window_ = StreamWindow();
  http1_ = false;
  // The TLS context is made, and trust loaded, when the first connection
  // needs it (EnsureTls): creating or configuring a transport does no TLS
  // work, so modes 0 and 5 never touch OpenSSL.
  SSL_CTX_free(Ctx(tls_));
  tls_ = nullptr;
  SSL_SESSION_free(static_cast<SSL_SESSION*>(session_));
  session_ = nullptr;
  // Connections made for the old configuration take no new requests: ones
  // that are up finish what they carry, the ones being set up are dropped
  // (their requests wait for a connection of the new one).
  for (auto& conn : connections_) {
    if (conn->state == Connection::State::kReady) conn->draining = true;
  }
  active_ = nullptr;
  setups_.clear();
  active_setup_ = nullptr;
  backoff_.Reset();  // a new configuration starts without back-off
  if (!connections_.empty() || !waiting_.empty()) Tick();
}

int DohTransport::OnNewSession(SSL* ssl, SSL_SESSION* session) {
  SSL_CTX* ctx = SSL_get_SSL_CTX(ssl);
  auto* self = static_cast<DohTransport*>(SSL_CTX_get_app_data(ctx));
  // Only the current configuration's: a connection still draining from
  // an earlier one (another server, other trust) must not hand the next
  // connection a session that skips the checks it now makes.
  if (self == nullptr || ctx != Ctx(self->tls_)) return 0;
  SSL_SESSION_free(static_cast<SSL_SESSION*>(self->session_));
  self->session_ = session;
  return 1;  // ours now
}

void DohTransport::PingIfIdle(Connection* conn) {
  // A connection the server has been quiet on for a while proves it still
  // works with a PING sent along with the queries (no round trip waited
  // for).
  if (EventLoop::MonotonicNow() - conn->h2->last_heard() >
      config_.idle_before_ping) {
    SendPing(conn);
  }
}

void DohTransport::SendPing(Connection* conn) {
  if (conn->ping_timer.pending() || conn->h2 == nullptr) return;
  if (!conn->h2->Ping()) return;
  ++stats_.pings;
  const uint64_t serial = conn->serial;
  conn->ping_timer.Start(loop_, config_.ping_timeout, [this, serial] {
    Connection* conn = FindConnection(serial);
    if (conn == nullptr) return;
    DeliveryScope scope(this);
    ++stats_.ping_timeouts;
    conn->unhealthy = true;
    // close_notify, which a server that is only slow reads later: it then
    // keeps the TLS session for the connection that replaces this one.
    ERR_clear_error();
    SSL_shutdown(conn->ssl());
    Fail(conn, DohError::kReset,
         absl::StrCat("no answer to a PING within ",
                      absl::FormatDuration(config_.ping_timeout)));
  });
  Tick();  // out with the next flush
}

void DohTransport::CheckConnections() {
  // A new network: what failed on the old one says nothing of it.
  backoff_.Reset();
  for (auto& conn : connections_) {
    if (conn->state == Connection::State::kReady && !conn->draining &&
        conn->h2 != nullptr) {
      SendPing(conn.get());
    }
  }
}

absl::Status DohTransport::EnsureTls() {
  if (tls_ == nullptr) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == nullptr) {
      return absl::InternalError(
          absl::StrCat("cannot make a TLS context: ", OpenSslError("unknown")));
    }
    tls_ = ctx;
    // OnNewSession finds its transport here; the connections that outlive
    // a configuration hold a context that is no longer tls_.
    SSL_CTX_set_app_data(ctx, this);
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    // Flush() retries a write with the rest of its buffer, moved.
    SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    // Read whatever the socket has in one recv, not each record's header
    // and body apart.
    SSL_CTX_set_read_ahead(ctx, 1);
    // HTTP/2 first; a server that only speaks HTTP/1.1 (or says nothing)
    // is still a DoH server, as Firefox treats it.
    static const unsigned char kAlpn[] = {2,   'h', '2', 8,   'h', 't',
                                          't', 'p', '/', '1', '.', '1'};
    SSL_CTX_set_alpn_protos(ctx, kAlpn, sizeof(kAlpn));
    // Sessions to resume: the client side caches none itself; the newest
    // the server gives is kept for the next connection (OnNewSession).
    SSL_CTX_set_session_cache_mode(
        ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, &OnNewSession);
    const char* key_log = std::getenv("SSLKEYLOGFILE");
    if (key_log != nullptr && *key_log != '\0') {
      SSL_CTX_set_keylog_callback(ctx, &WriteKeyLog);
    }
  }
  // The shared store, loaded again if the CA file changed since.
  absl::StatusOr<X509_STORE*> store = TrustedStore(config_.ca_file);
  if (!store.ok()) return store.status();
  SSL_CTX* ctx = Ctx(tls_);
  if (SSL_CTX_get_cert_store(ctx) != *store) {
    SSL_CTX_set1_cert_store(ctx, *store);
  }
  X509_STORE_free(*store);
  return absl::OkStatus();
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
  r->timeout = timeout;
  ArmTimer(r, timeout);
  // Whatever completes now is delivered on a later turn, never inside Send.
  ++io_depth_;
  if (waiting_.empty() && active_ != nullptr && HasRoom(active_)) {
    PingIfIdle(active_);
    Submit(active_, r);
    Tick();
  } else {
    waiting_.PushBack(id);
    Dispatch();
  }
  --io_depth_;
  if (!deliveries_.empty()) Tick();
  return id;
}

void DohTransport::ArmTimer(Request* r, absl::Duration after) {
  r->timer.Cancel();
  const RequestId id = r->id;
  r->timer.Start(loop_, after, [this, id] { OnTimeout(id); });
}

void DohTransport::OnTimeout(RequestId id) {
  auto it = requests_.find(id);
  if (it == requests_.end()) return;
  DeliveryScope scope(this);
  Request* r = it->second.get();
  if (r->conn == nullptr) {
    const bool any_up = std::any_of(
        connections_.begin(), connections_.end(), [](const auto& conn) {
          return conn->state == Connection::State::kReady;
        });
    if (!any_up) {
      DohResult result;
      result.error = DohError::kTimeout;
      result.unreachable = true;
      result.detail =
          absl::StrCat("no connection to ", config_.uri.host,
                       " came up within ", absl::FormatDuration(r->timeout));
      Finish(r, std::move(result));
      return;
    }
    // Still waiting for room on a connection that is up. A server that
    // answers is busy, not failing: the request waits on, and its own
    // clock starts when it goes out (SubmitWaiting).
    const absl::Time now = EventLoop::MonotonicNow();
    if (now - last_answer_ < r->timeout) {
      ArmTimer(r, last_answer_ + r->timeout - now);
      return;
    }
  }
  Abandon(r, DohError::kTimeout,
          absl::StrCat("no answer within ", absl::FormatDuration(r->timeout)));
}

void DohTransport::SubmitWaiting(Connection* conn, Request* r) {
  // Off the queue of a server that is answering: the server's time starts
  // now. A server that has not answered lately gets no more time than the
  // request had left.
  if (EventLoop::MonotonicNow() - last_answer_ < r->timeout) {
    ArmTimer(r, r->timeout);
  }
  if (conn->h1 != nullptr) {
    SubmitHttp1(conn, r);
  } else {
    Submit(conn, r);
  }
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
  if (conn != nullptr && conn->h2 != nullptr &&
      conn->state == Connection::State::kReady && r->stream >= 0) {
    // Tell the server to stop: the stream's id is not reused either way.
    conn->h2->Reset(r->stream);
    Tick();
  }
  Finish(r, error, std::move(detail));  // frees r
  if (conn != nullptr && conn->h1 != nullptr) {
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
  r->timer.Cancel();
  r->retry_timer.Cancel();
  if (r->answered || result.http_status != 0) {
    last_answer_ = EventLoop::MonotonicNow();
  }
  if (r->conn != nullptr) {
    Connection* conn = r->conn;
    conn->streams.erase(r->stream);
    if (conn->h2 != nullptr) {
      // Its body held back, perhaps: nghttp2 will not ask for it now, and
      // the next stream may start.
      const bool held = !conn->h2->MayStartStream();
      conn->h2->Forget(r->stream);
      if (held && conn->h2->MayStartStream()) Tick();
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

std::vector<DohConnectionInfo> DohTransport::Connections() const {
  std::vector<DohConnectionInfo> out;
  for (const Setup& setup : setups_) {
    if (setup.job->done()) continue;
    for (const ConnectJob::AttemptInfo& attempt : setup.job->Attempts()) {
      DohConnectionInfo info;
      info.protocol = setup.for_http1 ? "http/1.1" : "h2";
      info.state = attempt.state;
      if (attempt.address) {
        info.address = HostPort(*attempt.address, ConnectPort());
      }
      out.push_back(std::move(info));
    }
  }
  for (const auto& conn : connections_) {
    if (conn->state == Connection::State::kDead) continue;
    DohConnectionInfo info;
    info.protocol = conn->h1 != nullptr ? "http/1.1" : "h2";
    info.state = conn->draining ? "draining" : "open";
    if (conn->socket->address) {
      info.address = HostPort(*conn->socket->address, ConnectPort());
    }
    info.in_flight = static_cast<uint32_t>(conn->streams.size());
    if (conn->h2 != nullptr) {
      info.server_max_streams = conn->h2->ServerMaxStreams();
      info.stream_limit = window_.Limit(info.server_max_streams);
    } else if (conn->h1 != nullptr) {
      info.server_max_streams = 1;
      info.stream_limit = 1;
    }
    info.answered = conn->answered;
    info.tls_resumed = SSL_session_reused(conn->ssl()) == 1;
    out.push_back(std::move(info));
  }
  return out;
}

void DohTransport::Sweep() {
  setups_.erase(
      std::remove_if(setups_.begin(), setups_.end(),
                     [](const Setup& setup) { return setup.job->done(); }),
      setups_.end());
  for (size_t i = 0; i < connections_.size();) {
    Connection* conn = connections_[i].get();
    const bool ready = conn->state == Connection::State::kReady;
    if (!(conn->state == Connection::State::kDead ||
          (ready && conn->draining && conn->streams.empty()))) {
      ++i;
      continue;
    }
    // A polite goodbye, if the socket takes it now.
    if (ready && conn->h2 != nullptr) conn->h2->Goodbye();
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
