// DohTransport's connection set-up: one TCP connection per server, its
// addresses raced Happy-Eyeballs style (bootstrap or resolved, families
// interleaved), through a proxy if one applies (HTTP CONNECT or SOCKS5),
// then TLS and its checks. The session on a connected socket (HTTP/2
// through nghttp2 or HTTP/1.1), reading, writing and failing are in
// doh_connection.cc.

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

#include "absl/strings/str_cat.h"
#include "trr/loop/socket_address.h"
#include "trr/transport/doh_transport_internal.h"

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

DohTransport::Connection* DohTransport::NewConnection(bool make_active) {
  connections_.push_back(std::make_unique<Connection>());
  Connection* conn = connections_.back().get();
  conn->owner = this;
  conn->serial = next_serial_++;
  conn->for_http1 = http1_;
  if (make_active) active_ = conn;
  ++stats_.connections_opened;
  const uint64_t serial = conn->serial;
  conn->setup_timer.Start(loop_, kConnectionSetup, [this, serial] {
    Connection* conn = FindConnection(serial);
    if (conn == nullptr) return;
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
    conn->failed_locally = true;
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
  race.timer.Cancel();
  if (race.next >= race.addresses.size()) return;
  Connection* conn = NewConnection(race.make_active && active_ == nullptr);
  conn->race = id;
  TryNextAddress(conn);
}

void DohTransport::WinRace(Connection* conn) {
  auto it = races_.find(conn->race);
  if (it == races_.end()) return;
  it->second.timer.Cancel();
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
    it->second.timer.Cancel();
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
  for (Timer* timer :
       {&conn->connect_timer, &conn->setup_timer, &conn->ping_timer}) {
    timer->Cancel();
  }
  conn->watch.Stop();
}

void DohTransport::TryNextAddress(Connection* conn) {
  conn->connect_timer.Cancel();
  conn->watch.Stop();
  if (conn->io.fd >= 0) {
    close(conn->io.fd);
    conn->io.fd = -1;
  }
  auto race = races_.find(conn->race);
  // This attempt moves on: the next one's delay starts again.
  if (race != races_.end()) {
    race->second.timer.Cancel();
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
        r.timer.Start(loop_, config_.attempt_delay, [this, id] {
          auto it = races_.find(id);
          if (it == races_.end()) return;
          DeliveryScope scope(this);
          LaunchAttempt(id);
        });
      } else if (r.next < r.addresses.size()) {
        const uint64_t serial = conn->serial;
        conn->connect_timer.Start(
            loop_, kConnectAttempt, [this, serial, where] {
              Connection* conn = FindConnection(serial);
              if (conn == nullptr) return;
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
  if (events == conn->watch.events()) return;  // an epoll_ctl saved
  const uint64_t serial = conn->serial;
  conn->watch.Start(loop_, conn->io.fd, events, [this, serial](uint32_t fired) {
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
  conn->proxy.emplace(config_.proxy, config_.uri.host, config_.uri.port);
  if (!SendToProxy(conn, conn->proxy->Start())) return;
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
  ProxyHandshake::Step step =
      conn->proxy->Read(absl::MakeConstSpan(buffer, static_cast<size_t>(n)));
  switch (step.state) {
    case ProxyHandshake::State::kFailed:
      Fail(conn, DohError::kConnect, step.error);
      return;
    case ProxyHandshake::State::kTunneled:
      OnConnected(conn);
      return;
    default:
      if (!step.send.empty()) SendToProxy(conn, step.send);
      return;
  }
}

void DohTransport::OnConnected(Connection* conn) {
  conn->connect_timer.Cancel();
  // The address answered: no further attempt starts on a timer (a slow
  // TLS handshake is not a dead address). Those already started race on
  // to finish TLS, and the next address is still tried at once if this
  // one fails.
  if (auto race = races_.find(conn->race); race != races_.end()) {
    race->second.timer.Cancel();
  }
  if (config_.proxy.kind != ProxyConfig::Kind::kNone &&
      (!conn->proxy ||
       conn->proxy->state() != ProxyHandshake::State::kTunneled)) {
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

}  // namespace trr
