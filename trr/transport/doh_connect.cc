// DohTransport's connections: set up by ConnectJobs (addresses raced, the
// proxy's tunnel, TLS), then taken over for HTTP/2 or HTTP/1.1 as the
// server chose, and watched. What runs on a connection that is up, and its
// failure, are in doh_connection.cc.

#include <sys/epoll.h>

#include <utility>

#include "trr/loop/socket_address.h"
#include "trr/transport/doh_transport_internal.h"

namespace trr {

void DohTransport::StartConnection(bool make_active) {
  if (absl::Status tls = EnsureTls(); !tls.ok()) {
    // No evidence against the server (no TLS context, no trust), so no
    // back-off; what waits for a connection fails.
    FailWaiting(DohError::kTls, std::string(tls.message()));
    Tick();
    return;
  }
  ConnectJob::Params params;
  params.host = config_.uri.host;
  params.port = config_.uri.port;
  params.bootstrap = config_.bootstrap;
  params.proxy = config_.proxy;
  params.verify_ip = config_.verify_ip;
  params.attempt_delay = config_.attempt_delay;
  params.tls = Ctx(tls_);
  params.session = [this] { return static_cast<SSL_SESSION*>(session_); };
  params.resolver = [this] {
    // The system resolves the DoH host, as Firefox does without
    // network.trr.bootstrapAddr.
    if (host_resolver_ == nullptr) {
      host_resolver_ = MakeSystemResolver(loop_, 1);
    }
    return host_resolver_.get();
  };
  ConnectJob::Delegate* delegate = this;
  setups_.push_back(
      Setup{std::make_unique<ConnectJob>(loop_, std::move(params), delegate),
            http1_});
  ConnectJob* job = setups_.back().job.get();
  if (make_active) active_setup_ = job;
  job->Start();
}

void DohTransport::OnAttemptStarted() { ++stats_.connections_opened; }

void DohTransport::OnConnectJobDone(ConnectJob* job,
                                    std::unique_ptr<TlsSocket> socket) {
  DeliveryScope scope(this);
  if (active_setup_ == job) active_setup_ = nullptr;
  Tick();  // sweeps the job
  if (socket->resumed) ++stats_.tls_resumed;
  const bool http1 = socket->http1;
  if (http1 != http1_) {
    // The server speaks the other protocol now: connections of the one
    // it spoke before finish what they carry and close.
    http1_ = http1;
    for (auto& other : connections_) {
      if (other->state == Connection::State::kReady) other->draining = true;
    }
  }
  connections_.push_back(std::make_unique<Connection>());
  Connection* conn = connections_.back().get();
  conn->owner = this;
  conn->serial = next_serial_++;
  conn->socket = std::move(socket);
  backoff_.Reset();
  if (http1) {
    StartHttp1(conn);
  } else {
    StartSession(conn);
  }
}

void DohTransport::OnConnectJobFailed(ConnectJob* job, DohError error,
                                      const std::string& detail) {
  DeliveryScope scope(this);
  if (active_setup_ == job) active_setup_ = nullptr;
  // The next setup backs off, and what waited for this one fails the
  // same way.
  OnSetupFailed(error);
  FailWaiting(error, detail);
  Tick();  // sweeps the job
}

void DohTransport::FailWaiting(DohError error, const std::string& detail) {
  for (RequestId id : waiting_.TakeAll()) {
    auto it = requests_.find(id);
    if (it != requests_.end()) Finish(it->second.get(), error, detail);
  }
}

DohTransport::Connection* DohTransport::FindConnection(uint64_t serial) {
  for (auto& conn : connections_) {
    if (conn->serial == serial) return conn.get();
  }
  return nullptr;
}

void DohTransport::CloseSocket(Connection* conn) {
  conn->ping_timer.Cancel();
  conn->watch.Stop();
}

void DohTransport::Watch(Connection* conn, uint32_t events) {
  if (events == conn->watch.events()) return;  // an epoll_ctl saved
  const uint64_t serial = conn->serial;
  conn->watch.Start(loop_, conn->socket->io.fd, events,
                    [this, serial](uint32_t fired) {
                      Connection* conn = FindConnection(serial);
                      if (conn == nullptr) return;
                      DeliveryScope scope(this);
                      OnEvents(conn, fired);
                    });
}

void DohTransport::OnEvents(Connection* conn, uint32_t events) {
  if (conn->state != Connection::State::kReady) return;
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) Pump(conn);
  if (conn->state == Connection::State::kReady && (events & EPOLLOUT)) {
    Flush(conn);
  }
}

uint16_t DohTransport::ConnectPort() const {
  return config_.proxy.kind != ProxyConfig::Kind::kNone ? config_.proxy.port
                                                        : config_.uri.port;
}

}  // namespace trr
