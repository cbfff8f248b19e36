// ConnectJob: brings one TLS connection to a DoH server up, and hands it to
// its delegate. It finds the addresses (the bootstrap ones, an IP literal,
// or the host's, or the proxy's, resolved), races them Happy-Eyeballs style
// (RFC 8305: families interleaved, the next attempt after attempt_delay or
// at once when one fails, the first through TLS wins), opens the proxy's
// tunnel on each attempt when there is a proxy, and runs TLS with its
// checks (the host name or IP literal, and the designating resolver's
// address for a DDR server). What runs on the connection (HTTP/2 or
// HTTP/1.1) is the transport's business, not the job's.
//
// Loop thread only. The delegate is told once, Done or Failed, as the last
// thing the job does; it may destroy the job then, or later.

#ifndef TRR_TRR_TRANSPORT_CONNECT_JOB_H_
#define TRR_TRR_TRANSPORT_CONNECT_JOB_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "trr/ip_address.h"
#include "trr/loop/event_loop.h"
#include "trr/loop/fd_watch.h"
#include "trr/loop/timer.h"
#include "trr/native/native_resolver.h"
#include "trr/transport/doh_error.h"
#include "trr/transport/proxy.h"

// OpenSSL's types, kept out of this header.
struct ssl_st;
struct ssl_ctx_st;
struct ssl_session_st;

namespace trr {

// What the socket BIO works on: the socket, and whether the last read
// found it empty (then a reader stops without one more recv for EAGAIN).
struct BioSocket {
  int fd = -1;
  bool drained = false;
};

// A TCP connection with TLS up on it (inside the proxy's tunnel, if any),
// handshake done and checked. Closes the socket and frees the SSL when it
// goes; stop watching the descriptor first.
struct TlsSocket {
  TlsSocket() = default;
  ~TlsSocket();
  TlsSocket(const TlsSocket&) = delete;
  TlsSocket& operator=(const TlsSocket&) = delete;

  BioSocket io;  // the SSL's BIO points here: a TlsSocket never moves
  ssl_st* ssl = nullptr;
  // Where TCP went: the server's address, or the proxy's.
  std::optional<IpAddress> address;
  // The server chose HTTP/1.1 in ALPN, or chose nothing.
  bool http1 = false;
  // The TLS session was resumed (RFC 8446 section 2.2).
  bool resumed = false;

  // Writes as much of `out` as TLS takes now, and takes it off `out`;
  // false when the connection broke.
  bool Write(std::string& out);
};

// Without Happy Eyeballs (attempt_delay zero): how long one address may
// take to accept a connection before the next is tried. The requests'
// timeouts still bound the whole job.
constexpr absl::Duration kConnectAttempt = absl::Seconds(3);
// A job not done (TCP and TLS) within this fails: a server that accepted
// and went quiet is not waited on for ever.
constexpr absl::Duration kConnectionSetup = absl::Seconds(10);

class ConnectJob {
 public:
  struct Params {
    // The DoH server: SNI and the certificate's name (or address, for an
    // IP literal, which is then where TCP goes).
    std::string host;
    uint16_t port = 443;
    // network.trr.bootstrapAddr: where a named host is, never resolved.
    std::vector<IpAddress> bootstrap;
    // Connections go to the proxy, which is given the host by name.
    ProxyConfig proxy;
    // A server found by DDR: its certificate must also cover this address.
    std::optional<IpAddress> verify_ip;
    absl::Duration attempt_delay = absl::Milliseconds(250);
    // Verification on, ALPN set; not owned, alive until the job is done.
    ssl_ctx_st* tls = nullptr;
    // The session to offer for resumption when TLS starts (the newest the
    // server gave), or null; not owned. Asked then, not before: a newer
    // one may replace (and free) it meanwhile.
    std::function<ssl_session_st*()> session;
    // Resolves the host (or the proxy's) when no address is given; asked
    // only then.
    std::function<NativeResolver*()> resolver;
  };

  class Delegate {
   public:
    // A TCP attempt began (each address raced is one).
    virtual void OnAttemptStarted() = 0;
    virtual void OnConnectJobDone(ConnectJob* job,
                                  std::unique_ptr<TlsSocket> socket) = 0;
    // kConnect, kTls or kTimeout, with what went wrong for people.
    virtual void OnConnectJobFailed(ConnectJob* job, DohError error,
                                    const std::string& detail) = 0;

   protected:
    ~Delegate() = default;
  };

  // What an attempt is doing, for the dump.
  struct AttemptInfo {
    const char* state;  // "resolving", "connecting", "proxy", "tls"
    std::optional<IpAddress> address;
  };

  ConnectJob(EventLoop* loop, Params params, Delegate* delegate);
  ~ConnectJob();
  ConnectJob(const ConnectJob&) = delete;
  ConnectJob& operator=(const ConnectJob&) = delete;

  // Begins; the delegate may hear of the end inside this call (an address
  // that cannot be connected to at all).
  void Start();
  bool done() const { return done_; }
  // The attempts under way.
  std::vector<AttemptInfo> Attempts() const;
  // Where TCP connects: the proxy's port, or the server's.
  uint16_t ConnectPort() const;

 private:
  struct Attempt;
  void BeginRace(std::vector<IpAddress> addresses);
  // Another attempt, for the next address.
  void Launch();
  void TryNextAddress(Attempt* attempt);
  void Watch(Attempt* attempt, uint32_t events);
  void OnEvents(Attempt* attempt);
  void OnConnected(Attempt* attempt);
  void StartProxy(Attempt* attempt);
  void ReadProxy(Attempt* attempt);
  bool SendToProxy(Attempt* attempt, const std::vector<uint8_t>& bytes);
  void Handshake(Attempt* attempt);
  // `attempt` failed: the race goes on without it while another attempt
  // is under way or an address is left; else the job fails.
  void AttemptFailed(Attempt* attempt, DohError error, std::string detail);
  void Close(Attempt* attempt);
  void Succeed(Attempt* attempt);
  void Fail(DohError error, const std::string& detail);

  EventLoop* const loop_;
  const Params params_;
  Delegate* const delegate_;
  const std::optional<IpAddress> host_ip_;
  const bool proxied_;
  std::vector<IpAddress> addresses_;  // interleaved by family
  size_t next_ = 0;
  std::vector<std::unique_ptr<Attempt>> attempts_;
  Timer race_timer_;   // starts the next attempt
  Timer setup_timer_;  // gives up on the whole job
  bool done_ = false;
  // The resolver's callback checks it: the job may be gone by then.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace trr

#endif  // TRR_TRR_TRANSPORT_CONNECT_JOB_H_
