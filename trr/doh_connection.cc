// DohTransport's connections: connecting (bootstrap or resolved addresses,
// one after another), TLS, then HTTP/2 through nghttp2 or HTTP/1.1 through
// Http1ResponseReader, reading and writing through OpenSSL, and failing.
// Requests, their queue and their retries are in doh_transport.cc.

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "trr/dns/base64url.h"
#include "trr/doh_transport_internal.h"
#include "trr/socket_address.h"

namespace trr {
namespace {

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

nghttp2_nv Header(absl::string_view name, absl::string_view value,
                  uint8_t flags = NGHTTP2_NV_FLAG_NONE) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())),
                    name.size(), value.size(), flags};
}

// Whether the peer's certificate (already verified for the host name)
// lists `ip` among its subjectAltName iPAddress entries.
bool CertificateCovers(SSL* ssl, const IpAddress& ip) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  const bool covered =
      cert != nullptr && X509_check_ip_asc(cert, ip.ToString().c_str(), 0) == 1;
  X509_free(cert);
  return covered;
}

}  // namespace

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
    if (frame->hd.type == NGHTTP2_PING &&
        (frame->hd.flags & NGHTTP2_FLAG_ACK) != 0) {
      // The server answered our health PING: the connection works.
      Connection* conn = Conn(user);
      if (conn->ping_timer != 0) {
        conn->owner->loop_->CancelTimer(conn->ping_timer);
        conn->ping_timer = 0;
        ++conn->owner->stats_.pings_answered;
      }
      return 0;
    }
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

DohTransport::Connection* DohTransport::NewConnection(bool make_active) {
  connections_.push_back(std::make_unique<Connection>());
  Connection* conn = connections_.back().get();
  conn->owner = this;
  conn->serial = next_serial_++;
  conn->for_http1 = http1_;
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
  return conn;
}

void DohTransport::StartConnection(bool make_active) {
  Connection* conn = NewConnection(make_active);
  const uint64_t serial = conn->serial;
  if (absl::Status tls = EnsureTls(); !tls.ok()) {
    Fail(conn, DohError::kTls, std::string(tls.message()));
    return;
  }
  const bool proxied = config_.proxy.kind != ProxyConfig::Kind::kNone;
  if (proxied) {
    // To the proxy, by its address or its resolved name; the DoH host is
    // the proxy's to resolve.
    if (auto ip = IpAddress::Parse(config_.proxy.host)) {
      BeginRace(conn, {*ip});
      return;
    }
  } else if (host_ip_) {
    // An IP literal is where to go; bootstrapAddr is for host names.
    BeginRace(conn, {*host_ip_});
    return;
  } else if (!config_.bootstrap.empty()) {
    BeginRace(conn, config_.bootstrap);
    return;
  }
  // No bootstrap address: the system resolves the DoH host (or the
  // proxy's), as Firefox does without network.trr.bootstrapAddr.
  const std::string host = proxied ? config_.proxy.host : config_.uri.host;
  if (host_resolver_ == nullptr) host_resolver_ = MakeSystemResolver(loop_, 1);
  host_resolver_->Resolve(
      host, QueryKind::kUnspecified, kConnectAttempt,
      [this, serial, host, proxied](NativeResult result) {
        if (shutting_down_) return;
        Connection* conn = FindConnection(serial);
        if (conn == nullptr || conn->state != Connection::State::kResolving) {
          return;
        }
        DeliveryScope scope(this);
        if (result.outcome != NativeResult::Outcome::kOk ||
            result.answer.addresses.empty()) {
          Fail(conn, DohError::kConnect,
               absl::StrCat("cannot resolve the ",
                            proxied ? "proxy " : "DoH host ", host,
                            result.error.empty() ? "" : ": ", result.error));
          return;
        }
        BeginRace(conn, std::move(result.answer.addresses));
      });
}

void DohTransport::BeginRace(Connection* conn,
                             std::vector<IpAddress> addresses) {
  const uint64_t id = next_race_++;
  Race& race = races_[id];
  race.addresses = InterleaveFamilies(std::move(addresses));
  race.make_active = active_ == conn;
  conn->race = id;
  TryNextAddress(conn);
}

void DohTransport::LaunchAttempt(uint64_t id) {
  auto it = races_.find(id);
  if (it == races_.end()) return;
  Race& race = it->second;
  if (race.timer != 0) loop_->CancelTimer(race.timer);
  race.timer = 0;
  if (race.next >= race.addresses.size()) return;
  Connection* conn = NewConnection(race.make_active && active_ == nullptr);
  conn->race = id;
  TryNextAddress(conn);
}

void DohTransport::WinRace(Connection* conn) {
  auto it = races_.find(conn->race);
  if (it == races_.end()) return;
  if (it->second.timer != 0) loop_->CancelTimer(it->second.timer);
  races_.erase(it);
  for (auto& other : connections_) {
    if (other.get() == conn || other->race != conn->race) continue;
    other->race = 0;
    if (other->state == Connection::State::kDead) continue;
    // It carries nothing yet: it just closes.
    CloseSocket(other.get());
    other->state = Connection::State::kDead;
    if (active_ == other.get()) active_ = conn;
  }
  conn->race = 0;
  Tick();  // sweeps the losers
}

bool DohTransport::RaceGoesOn(Connection* conn) {
  auto it = races_.find(conn->race);
  if (it == races_.end()) return false;
  Connection* other = nullptr;
  for (auto& c : connections_) {
    if (c.get() != conn && c->race == conn->race &&
        c->state != Connection::State::kDead) {
      other = c.get();
    }
  }
  const bool left = it->second.next < it->second.addresses.size();
  if (other == nullptr && !left) {
    if (it->second.timer != 0) loop_->CancelTimer(it->second.timer);
    races_.erase(it);
    return false;
  }
  CloseSocket(conn);
  conn->state = Connection::State::kDead;
  if (active_ == conn) active_ = other;
  // One failed: the next address is tried at once (RFC 8305 section 5).
  if (left) LaunchAttempt(conn->race);
  conn->race = 0;
  Tick();
  return true;
}

DohTransport::Connection* DohTransport::FindConnection(uint64_t serial) {
  for (auto& conn : connections_) {
    if (conn->serial == serial) return conn.get();
  }
  return nullptr;
}

void DohTransport::CloseSocket(Connection* conn) {
  for (EventLoop::TimerId* timer :
       {&conn->connect_timer, &conn->setup_timer, &conn->ping_timer}) {
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
  auto race = races_.find(conn->race);
  // This attempt moves on: the next one's delay starts again.
  if (race != races_.end() && race->second.timer != 0) {
    loop_->CancelTimer(race->second.timer);
    race->second.timer = 0;
  }
  while (race != races_.end() &&
         race->second.next < race->second.addresses.size()) {
    Race& r = race->second;
    const IpAddress ip = r.addresses[r.next++];
    conn->address = ip;
    socklen_t length = 0;
    const sockaddr_storage address = SocketAddress(ip, ConnectPort(), &length);
    const std::string where = HostPort(ip, ConnectPort());
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
      if (r.next < r.addresses.size() &&
          config_.attempt_delay > absl::ZeroDuration()) {
        // Happy Eyeballs: the next address gets its own attempt soon,
        // racing this one.
        const uint64_t id = conn->race;
        r.timer = loop_->AddTimer(config_.attempt_delay, [this, id] {
          auto it = races_.find(id);
          if (it == races_.end()) return;
          it->second.timer = 0;
          DeliveryScope scope(this);
          LaunchAttempt(id);
        });
      } else if (r.next < r.addresses.size()) {
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
    case Connection::State::kProxying:
      ReadProxy(conn);
      return;
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

uint16_t DohTransport::ConnectPort() const {
  return config_.proxy.kind != ProxyConfig::Kind::kNone ? config_.proxy.port
                                                        : config_.uri.port;
}

bool DohTransport::SendToProxy(Connection* conn,
                               absl::Span<const uint8_t> bytes) {
  // A few dozen bytes on a fresh connection: the socket takes them whole.
  const ssize_t n = send(conn->io.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  if (n == static_cast<ssize_t>(bytes.size())) return true;
  Fail(conn, DohError::kConnect,
       absl::StrCat("cannot write to the proxy: ",
                    n < 0 ? strerror(errno) : "short write"));
  return false;
}

void DohTransport::StartProxy(Connection* conn) {
  conn->state = Connection::State::kProxying;
  conn->proxy_step = 0;
  conn->proxy_in.clear();
  const std::string& host = config_.uri.host;
  if (config_.proxy.kind == ProxyConfig::Kind::kHttpConnect) {
    const std::string request = HttpConnectRequest(host, config_.uri.port);
    if (!SendToProxy(conn, absl::MakeConstSpan(
                               reinterpret_cast<const uint8_t*>(request.data()),
                               request.size()))) {
      return;
    }
  } else if (!SendToProxy(conn, Socks5Greeting())) {
    return;
  }
  Watch(conn, EPOLLIN);
}

void DohTransport::ReadProxy(Connection* conn) {
  uint8_t buffer[1024];
  const ssize_t n = recv(conn->io.fd, buffer, sizeof(buffer), 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
  if (n <= 0) {
    Fail(conn, DohError::kConnect,
         absl::StrCat("the proxy ", DescribeProxy(config_.proxy),
                      " closed the connection before the tunnel was up"));
    return;
  }
  conn->proxy_in.insert(conn->proxy_in.end(), buffer, buffer + n);
  if (conn->proxy_in.size() > kMaxProxyReply) {
    Fail(conn, DohError::kConnect, "the proxy's answer is too long");
    return;
  }
  const bool http = config_.proxy.kind == ProxyConfig::Kind::kHttpConnect;
  const ProxyReply reply =
      http                    ? ParseHttpConnectReply(absl::string_view(
                                    reinterpret_cast<const char*>(conn->proxy_in.data()),
                                    conn->proxy_in.size()))
      : conn->proxy_step == 0 ? ParseSocks5Method(conn->proxy_in)
                              : ParseSocks5Reply(conn->proxy_in);
  if (reply.state == ProxyReply::State::kNeedMore) return;
  if (reply.state == ProxyReply::State::kFailed) {
    Fail(conn, DohError::kConnect,
         absl::StrCat(DescribeProxy(config_.proxy), ": ", reply.error));
    return;
  }
  // The server speaks only after our ClientHello: nothing may follow.
  if (reply.consumed != conn->proxy_in.size()) {
    Fail(conn, DohError::kConnect,
         absl::StrCat(DescribeProxy(config_.proxy),
                      ": bytes after the proxy's answer"));
    return;
  }
  conn->proxy_in.clear();
  if (!http && conn->proxy_step == 0) {
    conn->proxy_step = 1;
    SendToProxy(conn, Socks5Connect(config_.uri.host, config_.uri.port));
    return;
  }
  conn->tunneled = true;
  OnConnected(conn);
}

void DohTransport::OnConnected(Connection* conn) {
  if (conn->connect_timer != 0) {
    loop_->CancelTimer(conn->connect_timer);
    conn->connect_timer = 0;
  }
  // The address answered: no further attempt starts on a timer (a slow
  // TLS handshake is not a dead address). Those already started race on
  // to finish TLS, and the next address is still tried at once if this
  // one fails.
  if (auto race = races_.find(conn->race);
      race != races_.end() && race->second.timer != 0) {
    loop_->CancelTimer(race->second.timer);
    race->second.timer = 0;
  }
  if (config_.proxy.kind != ProxyConfig::Kind::kNone && !conn->tunneled) {
    StartProxy(conn);
    return;
  }
  conn->state = Connection::State::kHandshaking;
  conn->ssl = SSL_new(Ctx(tls_));
  BIO* bio = BIO_new(SocketBioMethod());
  BIO_set_data(bio, &conn->io);
  SSL_set_bio(conn->ssl, bio, bio);
  SSL_set_app_data(conn->ssl, conn);
  if (session_ != nullptr) {
    SSL_set_session(conn->ssl, static_cast<SSL_SESSION*>(session_));
  }
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
    if (config_.verify_ip &&
        !CertificateCovers(conn->ssl, *config_.verify_ip)) {
      Fail(conn, DohError::kTls,
           absl::StrCat("TLS with ", config_.uri.host,
                        " failed: its certificate does not cover ",
                        config_.verify_ip->ToString(),
                        ", the resolver that designated it (RFC 9462 "
                        "verified discovery)"));
      return;
    }
    // The first attempt up wins; the others of its race close.
    WinRace(conn);
    if (SSL_session_reused(conn->ssl)) ++stats_.tls_resumed;
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
  conn->last_heard = EventLoop::MonotonicNow();
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
    if (n > 0) conn->last_heard = EventLoop::MonotonicNow();
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

void DohTransport::Fail(Connection* conn, DohError error,
                        const std::string& detail) {
  const bool was_ready = conn->state == Connection::State::kReady;
  // An attempt that loses while others of its race go on fails nothing.
  if (!was_ready && conn->race != 0 && RaceGoesOn(conn)) return;
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
  if (was_ready && unanswered && conn->http1 == nullptr && !conn->unhealthy) {
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

}  // namespace trr
