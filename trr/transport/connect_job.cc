#include "trr/transport/connect_job.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "trr/loop/socket_address.h"
#include "trr/transport/tls_trust.h"

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

TlsSocket::~TlsSocket() {
  if (ssl != nullptr) SSL_free(ssl);
  if (io.fd >= 0) close(io.fd);
}

bool TlsSocket::Write(std::string& out) {
  ERR_clear_error();
  while (!out.empty()) {
    const int written =
        SSL_write(ssl, out.data(), static_cast<int>(out.size()));
    if (written <= 0) {
      const int error = SSL_get_error(ssl, written);
      return error == SSL_ERROR_WANT_WRITE || error == SSL_ERROR_WANT_READ;
    }
    out.erase(0, static_cast<size_t>(written));
  }
  return true;
}

// One address's attempt: TCP, the proxy's tunnel, TLS.
struct ConnectJob::Attempt {
  enum class State : uint8_t {
    kResolving,    // the job is looking the host up; no address yet
    kConnecting,   // TCP connect to `socket->address`
    kProxying,     // asking the proxy for a tunnel to the server
    kHandshaking,  // TLS
    kClosed,       // lost, failed, or handed over
  };
  State state = State::kResolving;
  std::unique_ptr<TlsSocket> socket = std::make_unique<TlsSocket>();
  std::optional<ProxyHandshake> proxy;
  std::string last_error;
  FdWatch watch;        // the socket's; stopped before it closes
  Timer connect_timer;  // moves on to the next address

  ~Attempt() { watch.Stop(); }
};

ConnectJob::ConnectJob(EventLoop* loop, Params params, Delegate* delegate)
    : loop_(loop),
      params_(std::move(params)),
      delegate_(delegate),
      host_ip_(IpAddress::Parse(params_.host)),
      proxied_(params_.proxy.kind != ProxyConfig::Kind::kNone) {}

ConnectJob::~ConnectJob() = default;

uint16_t ConnectJob::ConnectPort() const {
  return proxied_ ? params_.proxy.port : params_.port;
}

std::vector<ConnectJob::AttemptInfo> ConnectJob::Attempts() const {
  std::vector<AttemptInfo> out;
  for (const auto& attempt : attempts_) {
    const char* state = nullptr;
    switch (attempt->state) {
      case Attempt::State::kResolving:
        state = "resolving";
        break;
      case Attempt::State::kConnecting:
        state = "connecting";
        break;
      case Attempt::State::kProxying:
        state = "proxy";
        break;
      case Attempt::State::kHandshaking:
        state = "tls";
        break;
      case Attempt::State::kClosed:
        continue;
    }
    out.push_back(AttemptInfo{state, attempt->socket->address});
  }
  return out;
}

void ConnectJob::Start() {
  delegate_->OnAttemptStarted();
  setup_timer_.Start(loop_, kConnectionSetup, [this] {
    Fail(DohError::kTimeout,
         absl::StrCat("no connection to ", params_.host, " within ",
                      absl::FormatDuration(kConnectionSetup)));
  });
  // The first attempt: resolving, until there is an address.
  attempts_.push_back(std::make_unique<Attempt>());
  if (proxied_) {
    // To the proxy, by its address or its resolved name; the DoH host is
    // the proxy's to resolve.
    if (auto ip = IpAddress::Parse(params_.proxy.host)) {
      BeginRace({*ip});
      return;
    }
  } else if (host_ip_) {
    // An IP literal is where to go; bootstrapAddr is for host names.
    BeginRace({*host_ip_});
    return;
  } else if (!params_.bootstrap.empty()) {
    BeginRace(params_.bootstrap);
    return;
  }
  // No bootstrap address: the host (or the proxy) is resolved, as Firefox
  // does without network.trr.bootstrapAddr.
  const std::string host = proxied_ ? params_.proxy.host : params_.host;
  params_.resolver()->Resolve(
      host, QueryKind::kUnspecified, kConnectAttempt,
      [this, alive = std::weak_ptr<bool>(alive_), host](NativeResult result) {
        if (alive.expired() || done_) return;
        if (result.outcome != NativeResult::Outcome::kOk ||
            result.answer.addresses.empty()) {
          Fail(DohError::kConnect,
               absl::StrCat("cannot resolve the ",
                            proxied_ ? "proxy " : "DoH host ", host,
                            result.error.empty() ? "" : ": ", result.error));
          return;
        }
        BeginRace(std::move(result.answer.addresses));
      });
}

void ConnectJob::BeginRace(std::vector<IpAddress> addresses) {
  addresses_ = InterleaveFamilies(std::move(addresses));
  TryNextAddress(attempts_.front().get());
}

void ConnectJob::Launch() {
  race_timer_.Cancel();
  if (done_ || next_ >= addresses_.size()) return;
  delegate_->OnAttemptStarted();
  attempts_.push_back(std::make_unique<Attempt>());
  TryNextAddress(attempts_.back().get());
}

void ConnectJob::TryNextAddress(Attempt* attempt) {
  attempt->connect_timer.Cancel();
  attempt->watch.Stop();
  BioSocket& io = attempt->socket->io;
  if (io.fd >= 0) {
    close(io.fd);
    io.fd = -1;
  }
  // This attempt moves on: the next one's delay starts again.
  race_timer_.Cancel();
  while (next_ < addresses_.size()) {
    const IpAddress ip = addresses_[next_++];
    attempt->socket->address = ip;
    socklen_t length = 0;
    const sockaddr_storage address = SocketAddress(ip, ConnectPort(), &length);
    const std::string where = HostPort(ip, ConnectPort());
    io.fd = socket(address.ss_family,
                   SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (io.fd < 0) {
      attempt->last_error = absl::StrCat("socket: ", strerror(errno));
      continue;
    }
    const int one = 1;
    setsockopt(io.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    attempt->state = Attempt::State::kConnecting;
    if (connect(io.fd, reinterpret_cast<const sockaddr*>(&address), length) ==
        0) {
      OnConnected(attempt);
      return;
    }
    if (errno == EINPROGRESS) {
      Watch(attempt, EPOLLOUT);
      if (next_ < addresses_.size() &&
          params_.attempt_delay > absl::ZeroDuration()) {
        // Happy Eyeballs: the next address gets its own attempt soon,
        // racing this one.
        race_timer_.Start(loop_, params_.attempt_delay, [this] { Launch(); });
      } else if (next_ < addresses_.size()) {
        attempt->connect_timer.Start(
            loop_, kConnectAttempt, [this, attempt, where] {
              attempt->last_error =
                  absl::StrCat("connect to ", where, ": no answer");
              TryNextAddress(attempt);
            });
      }
      return;
    }
    attempt->last_error =
        absl::StrCat("connect to ", where, ": ", strerror(errno));
    close(io.fd);
    io.fd = -1;
  }
  AttemptFailed(attempt, DohError::kConnect,
                attempt->last_error.empty() ? "no address to connect to"
                                            : attempt->last_error);
}

void ConnectJob::Watch(Attempt* attempt, uint32_t events) {
  if (events == attempt->watch.events()) return;  // an epoll_ctl saved
  attempt->watch.Start(loop_, attempt->socket->io.fd, events,
                       [this, attempt](uint32_t) { OnEvents(attempt); });
}

void ConnectJob::OnEvents(Attempt* attempt) {
  switch (attempt->state) {
    case Attempt::State::kConnecting: {
      int error = 0;
      socklen_t length = sizeof(error);
      getsockopt(attempt->socket->io.fd, SOL_SOCKET, SO_ERROR, &error, &length);
      if (error != 0) {
        attempt->last_error = absl::StrCat(
            "connect to ", HostPort(*attempt->socket->address, ConnectPort()),
            ": ", strerror(error));
        TryNextAddress(attempt);
      } else {
        OnConnected(attempt);
      }
      return;
    }
    case Attempt::State::kProxying:
      ReadProxy(attempt);
      return;
    case Attempt::State::kHandshaking:
      Handshake(attempt);
      return;
    case Attempt::State::kResolving:
    case Attempt::State::kClosed:
      return;
  }
}

bool ConnectJob::SendToProxy(Attempt* attempt,
                             const std::vector<uint8_t>& bytes) {
  // A few dozen bytes on a fresh connection: the socket takes them whole.
  const ssize_t n =
      send(attempt->socket->io.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  if (n == static_cast<ssize_t>(bytes.size())) return true;
  AttemptFailed(attempt, DohError::kConnect,
                absl::StrCat("cannot write to the proxy: ",
                             n < 0 ? strerror(errno) : "short write"));
  return false;
}

void ConnectJob::StartProxy(Attempt* attempt) {
  attempt->state = Attempt::State::kProxying;
  attempt->proxy.emplace(params_.proxy, params_.host, params_.port);
  if (!SendToProxy(attempt, attempt->proxy->Start())) return;
  Watch(attempt, EPOLLIN);
}

void ConnectJob::ReadProxy(Attempt* attempt) {
  uint8_t buffer[1024];
  const ssize_t n = recv(attempt->socket->io.fd, buffer, sizeof(buffer), 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
  if (n <= 0) {
    AttemptFailed(attempt, DohError::kConnect,
                  absl::StrCat("the proxy ", DescribeProxy(params_.proxy),
                               " closed the connection before the tunnel "
                               "was up"));
    return;
  }
  ProxyHandshake::Step step =
      attempt->proxy->Read(absl::MakeConstSpan(buffer, static_cast<size_t>(n)));
  switch (step.state) {
    case ProxyHandshake::State::kFailed:
      AttemptFailed(attempt, DohError::kConnect, step.error);
      return;
    case ProxyHandshake::State::kTunneled:
      OnConnected(attempt);
      return;
    default:
      if (!step.send.empty()) SendToProxy(attempt, step.send);
      return;
  }
}

void ConnectJob::OnConnected(Attempt* attempt) {
  attempt->connect_timer.Cancel();
  // The address answered: no further attempt starts on a timer (a slow
  // TLS handshake is not a dead address). Those already started race on
  // to finish TLS, and the next address is still tried at once if this
  // one fails.
  race_timer_.Cancel();
  if (proxied_ && (!attempt->proxy || attempt->proxy->state() !=
                                          ProxyHandshake::State::kTunneled)) {
    StartProxy(attempt);
    return;
  }
  attempt->state = Attempt::State::kHandshaking;
  SSL* ssl = SSL_new(params_.tls);
  attempt->socket->ssl = ssl;
  BIO* bio = BIO_new(SocketBioMethod());
  BIO_set_data(bio, &attempt->socket->io);
  SSL_set_bio(ssl, bio, bio);
  if (params_.session) {
    if (SSL_SESSION* session = params_.session()) SSL_set_session(ssl, session);
  }
  const std::string& host = params_.host;
  if (host_ip_) {
    // An IP literal is checked against the certificate's IP addresses, and
    // SNI carries no addresses (RFC 6066 section 3).
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl, host.c_str());
    SSL_set1_host(ssl, host.c_str());
  }
  SSL_set_connect_state(ssl);
  Handshake(attempt);
}

void ConnectJob::Handshake(Attempt* attempt) {
  SSL* ssl = attempt->socket->ssl;
  ERR_clear_error();
  const int rc = SSL_do_handshake(ssl);
  if (rc == 1) {
    if (params_.verify_ip && !CertificateCovers(ssl, *params_.verify_ip)) {
      AttemptFailed(attempt, DohError::kTls,
                    absl::StrCat("TLS with ", params_.host,
                                 " failed: its certificate does not cover ",
                                 params_.verify_ip->ToString(),
                                 ", the resolver that designated it (RFC 9462 "
                                 "verified discovery)"));
      return;
    }
    Succeed(attempt);
    return;
  }
  const int error = SSL_get_error(ssl, rc);
  if (error == SSL_ERROR_WANT_READ) {
    Watch(attempt, EPOLLIN);
    return;
  }
  if (error == SSL_ERROR_WANT_WRITE) {
    Watch(attempt, EPOLLOUT);
    return;
  }
  const long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) {
    AttemptFailed(attempt, DohError::kTls,
                  absl::StrCat("TLS with ", params_.host,
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
    AttemptFailed(attempt, DohError::kConnect,
                  absl::StrCat("the connection to ", params_.host,
                               " broke during the TLS handshake: ",
                               error == SSL_ERROR_SYSCALL && saved_errno != 0
                                   ? strerror(saved_errno)
                                   : "closed by the server"));
    return;
  }
  AttemptFailed(attempt, DohError::kTls,
                absl::StrCat("TLS with ", params_.host,
                             " failed: ", OpenSslError("handshake failed")));
}

void ConnectJob::Close(Attempt* attempt) {
  attempt->connect_timer.Cancel();
  attempt->watch.Stop();  // before the socket closes
  attempt->socket.reset(new TlsSocket());
  attempt->proxy.reset();
  attempt->state = Attempt::State::kClosed;
}

void ConnectJob::AttemptFailed(Attempt* attempt, DohError error,
                               std::string detail) {
  Close(attempt);
  const bool others =
      std::any_of(attempts_.begin(), attempts_.end(), [](const auto& other) {
        return other->state != Attempt::State::kClosed;
      });
  const bool left = next_ < addresses_.size();
  if (!others && !left) {
    Fail(error, detail);
    return;
  }
  // One failed: the next address is tried at once (RFC 8305 section 5).
  if (left) Launch();
}

void ConnectJob::Succeed(Attempt* winner) {
  done_ = true;
  setup_timer_.Cancel();
  race_timer_.Cancel();
  winner->connect_timer.Cancel();
  winner->watch.Stop();  // the connection's owner watches it from now on
  std::unique_ptr<TlsSocket> socket = std::move(winner->socket);
  winner->socket = std::make_unique<TlsSocket>();
  winner->state = Attempt::State::kClosed;
  // The first attempt up wins; the others of the race close.
  for (auto& attempt : attempts_) {
    if (attempt->state != Attempt::State::kClosed) Close(attempt.get());
  }
  const unsigned char* protocol = nullptr;
  unsigned int length = 0;
  SSL_get0_alpn_selected(socket->ssl, &protocol, &length);
  socket->http1 = length != 2 || std::memcmp(protocol, "h2", 2) != 0;
  socket->resumed = SSL_session_reused(socket->ssl) == 1;
  delegate_->OnConnectJobDone(this, std::move(socket));
}

void ConnectJob::Fail(DohError error, const std::string& detail) {
  done_ = true;
  setup_timer_.Cancel();
  race_timer_.Cancel();
  for (auto& attempt : attempts_) {
    if (attempt->state != Attempt::State::kClosed) Close(attempt.get());
  }
  delegate_->OnConnectJobFailed(this, error, detail);
}

}  // namespace trr
