// DoH transports (RFC 8484): what the resolver needs from one (DohSender),
// the typed result, and DohTransport, the one it uses: HTTP/2 through
// nghttp2, fed straight from and to OpenSSL on the resolver's EventLoop.
// Queries share one multiplexed connection per configuration, as many at
// once as the server takes (a StreamWindow that adapts), the rest queued in
// order. A connection that breaks or says GOAWAY is replaced; a stream the
// server refused, or that a dropped connection never answered, is sent
// again, a bounded number of times with back-off (RFC 9113 section 8.7).
// A server that does not speak HTTP/2 (ALPN http/1.1, or none) is spoken to
// in HTTP/1.1 on a small pool of kept-alive connections of the same kind,
// their responses read by http-parser. DohTransport keeps the requests;
// ConnectJob (connect_job.h) brings connections up, and Http2Session
// (http2_session.h) and Http1Session (http1_session.h) run them.
// (CurlDohTransport, in bench/curl_doh_transport.h, outside the shipped
// library, is the libcurl transport this one replaced; docs/PERFORMANCE.md has
// why, for both protocols.)
//
// Loop thread only: construct, call and destroy it on its EventLoop.

#ifndef TRR_TRR_TRANSPORT_DOH_TRANSPORT_H_
#define TRR_TRR_TRANSPORT_DOH_TRANSPORT_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "trr/ip_address.h"
#include "trr/loop/event_loop.h"
#include "trr/loop/timer.h"
#include "trr/native/native_resolver.h"
#include "trr/transport/connect_job.h"
#include "trr/transport/doh_error.h"
#include "trr/transport/doh_uri.h"
#include "trr/transport/http1_session.h"
#include "trr/transport/http2_session.h"
#include "trr/transport/proxy.h"
#include "trr/transport/request_queue.h"
#include "trr/transport/setup_backoff.h"
#include "trr/transport/stream_window.h"
#include "trr/types.h"

// OpenSSL's SSL and SSL_SESSION, kept out of this header.
struct ssl_st;
struct ssl_session_st;

namespace trr {

struct DohResult {
  DohError error = DohError::kOk;
  int http_status = 0;
  // What went wrong, for people (the status, the type, the server's words).
  std::string detail;
  std::vector<uint8_t> body;
  // kTimeout with no connection to the server up at all (black-holed, or
  // gone): the server, not this query, is the trouble.
  bool unreachable = false;

  bool ok() const { return error == DohError::kOk; }
};

// Oblivious HTTP (network.trr.use_ohttp, RFC 9458): queries go sealed to
// the relay, for the gateway whose keys `keys` serves. Read by OhttpSender
// only.
struct OhttpConfig {
  DohUri relay;  // network.trr.ohttp.relay_uri
  DohUri keys;   // network.trr.ohttp.config_uri
  friend bool operator==(const OhttpConfig& a, const OhttpConfig& b) {
    return a.relay.Url() == b.relay.Url() && a.keys.Url() == b.keys.Url();
  }
  friend bool operator!=(const OhttpConfig& a, const OhttpConfig& b) {
    return !(a == b);
  }
};

struct DohConfig {
  DohUri uri;
  // network.trr.useGET: GET ?dns=base64url instead of POST.
  bool use_get = false;
  // GET the URI as it is, without the query (an Oblivious HTTP gateway's
  // key configuration).
  bool plain_get = false;
  // The media types of the request body and of the answer, which must
  // match: DNS messages, unless this transport carries Oblivious HTTP
  // (message/ohttp-req and -res; application/ohttp-keys).
  std::string request_type = "application/dns-message";
  std::string response_type = "application/dns-message";
  // network.trr.bootstrapAddr: the DoH host is reached at these addresses
  // and never resolved by the system.
  std::vector<IpAddress> bootstrap;
  // network.trr.ca_file: trusted instead of the system CA store.
  std::string ca_file;
  // network.trr.credentials: sent as the Authorization header.
  std::string credentials;
  // network.trr.send_empty_accept-encoding_headers, send_user-agent_headers,
  // send_accept-language_headers and their values.
  ClientHeaders client;
  // Happy Eyeballs (RFC 8305), network.http.connection-retry-timeout: with
  // several addresses, the next is tried this long after the previous
  // attempt started (at once when one fails), the attempts race, and the
  // first to finish TLS wins. Zero: one address at a time, each given
  // kConnectAttempt.
  absl::Duration attempt_delay = absl::Milliseconds(250);
  // Connection health: a connection idle (nothing heard from the server)
  // for longer than `idle_before_ping` gets an HTTP/2 PING along with the
  // next query, as every open connection does on CheckConnections(). With
  // no PING ACK within `ping_timeout` (network.trr.ping_timeout), it is
  // dropped and its queries go again on a new one.
  absl::Duration idle_before_ping = absl::Seconds(5);
  absl::Duration ping_timeout = absl::Seconds(3);
  // Through a proxy (network.proxy.*): connections go to it, and TLS to
  // the server runs inside the tunnel it opens to the URI's host, which it
  // is given by name (bootstrap addresses are then not used). A proxy
  // that refuses fails the connection; trr never goes direct instead.
  ProxyConfig proxy;
  // A server found by DDR: its certificate must also cover this address,
  // the unencrypted resolver's that designated it (RFC 9462 section 4.2);
  // a connection whose certificate does not fails with kTls.
  std::optional<IpAddress> verify_ip;
  std::optional<OhttpConfig> ohttp;
  // Back-off after failed connection setups (none came up): the next
  // setup waits backoff_initial, doubling per failure in a row up to
  // backoff_max, up to 20% shorter (jitter); requests that need a connection
  // meanwhile fail at once (kConnect). A connection that comes up, a new
  // configuration or a network change ends it.
  absl::Duration backoff_initial = absl::Milliseconds(100);
  absl::Duration backoff_max = absl::Seconds(1);
};

struct DohTransportStats {
  uint64_t requests = 0;
  uint64_t completed_ok = 0;
  // Connections opened (TCP connects started), reconnects included.
  uint64_t connections_opened = 0;
  // Queries sent again after the server refused their stream (REFUSED_STREAM,
  // or above a GOAWAY's last stream) or dropped the connection before
  // answering.
  uint64_t retried = 0;
  // Streams the server refused, and times the stream window shrank for it.
  uint64_t refused = 0;
  uint64_t window_decreases = 0;
  // GOAWAY frames received.
  uint64_t goaways = 0;
  // Health PINGs sent, and connections dropped for not answering one.
  uint64_t pings = 0;
  uint64_t pings_answered = 0;
  // Connections whose TLS session was resumed (RFC 8446 section 2.2).
  uint64_t tls_resumed = 0;
  uint64_t ping_timeouts = 0;
  // Connection setups refused at once because the last ones failed (the
  // back-off), and requests failed by it.
  uint64_t backoff_refusals = 0;
  uint64_t errors[kDohErrorCount] = {};
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
  // `timeout` is how long the server has to answer a request once it is on
  // a connection. A request waiting for room on a connection whose server
  // answered within the last `timeout` (busy, not stalled) waits on; one
  // waiting for a connection that is not up, or for a server that has
  // answered nothing for that long, fails at `timeout`.
  virtual RequestId Send(absl::Span<const uint8_t> query,
                         absl::Duration timeout, Callback done) = 0;
  // Completes the request with kCancelled now; no-op if already done.
  virtual void Cancel(RequestId id) = 0;
  virtual void CancelAll() = 0;
  // The network changed: every open connection proves it still works (a
  // PING, DohConfig::ping_timeout), or is replaced.
  virtual void CheckConnections() {}
  virtual DohTransportStats stats() const = 0;
  // The connections open now, for the dump.
  virtual std::vector<DohConnectionInfo> Connections() const = 0;
};

// The largest answer body accepted (a DNS message's own limit).
inline constexpr size_t kMaxDohBody = 65535;

// The checks every transport makes on a complete answer: HTTP status 200
// and the media type `expected` (any case, parameters allowed). Returns the
// body on success, else the typed error.
DohResult CheckedAnswer(int http_status, absl::string_view content_type,
                        std::vector<uint8_t> body,
                        absl::string_view expected = "application/dns-message");

class DohTransport final : public DohSender, private ConnectJob::Delegate {
 public:
  explicit DohTransport(EventLoop* loop);
  // Completes every outstanding request with kCancelled.
  ~DohTransport() override;
  DohTransport(const DohTransport&) = delete;
  DohTransport& operator=(const DohTransport&) = delete;

  // Applies to requests sent from now on; requests in flight finish on the
  // connection they were sent on, which then closes.
  void Configure(DohConfig config) override;

  RequestId Send(absl::Span<const uint8_t> query, absl::Duration timeout,
                 Callback done) override;
  void Cancel(RequestId id) override;
  void CancelAll() override;
  void CheckConnections() override;
  DohTransportStats stats() const override;
  std::vector<DohConnectionInfo> Connections() const override;

  // How a request that the server refused waits before it goes again: the
  // first retry at once (on a new connection, when the old one went), then
  // 10, 20 and 40 ms; after kMaxRefusedRetries it fails with kRefused.
  static constexpr int kMaxRefusedRetries = 4;
  static absl::Duration RetryDelay(int retry);

 private:
  struct Request;
  struct Connection;
  struct Delivery {
    Callback done;
    DohResult result;
  };

  // Work driven by the network or a timer: completions found inside it are
  // delivered when it ends, with nothing of nghttp2's on the stack (a
  // callback may call Send or Configure).
  class DeliveryScope;
  // Ends a request still in flight: resets its stream, then finishes it.
  void Abandon(Request* request, DohError error, std::string detail);
  void Finish(Request* request, DohError error, std::string detail);
  void Finish(Request* request, DohResult result);
  void Deliver();
  // (Re)starts `request`'s timer: OnTimeout in `after`.
  void ArmTimer(Request* request, absl::Duration after);
  void OnTimeout(RequestId id);
  // Takes `request` out of the queue onto `conn`; its clock starts again
  // if the server has been answering.
  void SubmitWaiting(Connection* conn, Request* request);
  // The server refused `request` or dropped its connection before
  // answering: it goes again after RetryDelay(); false once it has used
  // its retries (or was answered, or the transport is going away).
  bool Requeue(Request* request);
  // Puts a request back in the queue, in the order requests were sent.
  void Enqueue(Request* request);
  // The oldest request still waiting for a connection (ids of requests
  // that ended or went out meanwhile are dropped on the way); null if none.
  Request* TakeWaiting();

  // Puts waiting requests on the active connection as far as its stream
  // window allows, or starts one; in HTTP/1.1, on the pool's idle
  // connections, opening more up to its size.
  void Dispatch();
  void DispatchWaiting();
  void DispatchHttp1();
  // Back-off (DohConfig::backoff_initial, backoff_): whether a new
  // connection may start now; a setup that failed.
  bool MaySetUp() const;
  void OnSetupFailed(DohError error);
  // Fails every waiting request at once: no connection may start yet.
  void FailWaitingForBackoff();
  // Whether `conn` may take one more stream now.
  bool HasRoom(Connection* conn) const;
  // A ConnectJob for a new connection; new HTTP/2 requests go to it when
  // `make_active`.
  void StartConnection(bool make_active);
  // ConnectJob::Delegate: a connection came up, or none could.
  void OnAttemptStarted() override;
  void OnConnectJobDone(ConnectJob* job,
                        std::unique_ptr<TlsSocket> socket) override;
  void OnConnectJobFailed(ConnectJob* job, DohError error,
                          const std::string& detail) override;
  // Fails every request waiting for a connection.
  void FailWaiting(DohError error, const std::string& detail);
  Connection* FindConnection(uint64_t serial);
  void Watch(Connection* conn, uint32_t events);
  void OnEvents(Connection* conn, uint32_t events);
  // What every request on a new connection carries, from config_.
  SessionConfig SessionConfigNow() const;
  void StartSession(Connection* conn);
  // Opens a stream for `request` on `conn`'s HTTP/2 session.
  void Submit(Connection* conn, Request* request);
  // The session's news: a stream ended, GOAWAY, a PING answered.
  void OnStreamEnd(Connection* conn, int32_t stream,
                   Http2Session::StreamEnd end);
  void OnGoaway(Connection* conn, int32_t last_stream);
  void OnPingAnswered(Connection* conn);
  // The :path (request target) of a request: the URI's path, with ?dns=
  // for network.trr.useGET.
  std::string RequestPath(const Request& request) const;
  // Reads what TLS has (into the HTTP/2 or HTTP/1.1 session), then
  // flushes.
  void Pump(Connection* conn);
  // Writes what the connection has to send, as far as the socket takes
  // it, and watches the socket for what it waits for.
  void Flush(Connection* conn);
  // After the session read or wrote: a session that ended drains, paused
  // reading resumes soon, and the watch follows what it waits for.
  void AfterSessionIo(Connection* conn);
  // The server chose HTTP/1.1 (or no ALPN): `conn` carries one request at
  // a time, and requests of this configuration go to a small pool of such
  // connections from now on.
  void StartHttp1(Connection* conn);
  // Puts `request` on `conn`'s HTTP/1.1 session (which is free).
  void SubmitHttp1(Connection* conn, Request* request);
  // Reads what TLS has into `conn`'s HTTP/1.1 session; a body over the
  // limit fails its request kTooLarge, and any failure the connection.
  void PumpHttp1(Connection* conn);
  void OnHttp1Response(Connection* conn,
                       Http1ResponseReader::Response response);
  // Stops watching the socket and cancels the connection's timers.
  void CloseSocket(Connection* conn);
  // Ends `conn`: requests it never answered go again on a new connection
  // (within their retries) and the window shrinks; the rest fail with
  // `error`.
  void Fail(Connection* conn, DohError error, const std::string& detail);
  // Closes connections that failed, or drained after GOAWAY or Configure.
  void Sweep();
  // Soon (once, at the end of this turn of the loop): flush every
  // connection, sweep, dispatch and deliver.
  void Tick();
  void PostWhileAlive(std::function<void()> task);
  // Sends a health PING on `conn` (unless one is out) and drops the
  // connection if it is not answered within config_.ping_timeout.
  void SendPing(Connection* conn);
  // SendPing when the server has not been heard from on `conn` for
  // longer than config_.idle_before_ping.
  void PingIfIdle(Connection* conn);
  // Where TCP connects: the proxy's port, or the server's.
  uint16_t ConnectPort() const;
  // OpenSSL's new-session callback: keeps the session for the next
  // connection to resume.
  static int OnNewSession(ssl_st* ssl, ssl_session_st* session);
  // Makes tls_ if need be, and gives it the trusted store as it is now
  // (TrustedStore: loaded once, again when the CA file changes).
  absl::Status EnsureTls();

  EventLoop* const loop_;
  DohConfig config_;
  // The SSL_CTX* (verification on, ALPN h2 and http/1.1, the shared
  // trusted store), made by the first connection that needs it; null
  // before, and again after Configure.
  void* tls_ = nullptr;
  // The SSL_SESSION* the server gave last, which the next connection
  // offers to resume; null before, and again after Configure (a new
  // server, or new trust).
  void* session_ = nullptr;
  std::string authority_;
  // The URI's host when it is an IP literal: connected to as is, and
  // checked against the certificate's addresses.
  std::optional<IpAddress> host_ip_;
  // Resolves the DoH host when there is no bootstrap address and the host
  // is not an IP literal; made when first needed.
  std::unique_ptr<NativeResolver> host_resolver_;
  // How many streams a connection to this server may carry; per
  // configuration, so what one connection learnt the next one keeps.
  StreamWindow window_;
  // The server does not speak HTTP/2 (learnt from a handshake; forgotten
  // by Configure): requests go over a pool of HTTP/1.1 connections.
  bool http1_ = false;

  // Connections being set up, each by its job; the one whose connection
  // new HTTP/2 requests will go to.
  struct Setup {
    std::unique_ptr<ConnectJob> job;
    bool for_http1 = false;  // the dump calls it http/1.1 before TLS has
  };
  std::vector<Setup> setups_;
  ConnectJob* active_setup_ = nullptr;
  // Connections up (HTTP/2 or HTTP/1.1), and the one new HTTP/2 requests
  // go to.
  std::vector<std::unique_ptr<Connection>> connections_;
  Connection* active_ = nullptr;
  uint64_t next_serial_ = 1;

  absl::flat_hash_map<RequestId, std::unique_ptr<Request>> requests_;
  // Sent, but not yet on a connection: in the order they were sent (ids
  // grow), refused ones put back in their place.
  RequestQueue waiting_;
  // When an answer (any HTTP response) last came: a server that answered
  // this recently is busy, and requests waiting for it wait on.
  absl::Time last_answer_ = absl::InfinitePast();
  // Connection setups that failed in a row, and when the next may start.
  SetupBackoff backoff_;
  RequestId next_id_ = 1;
  std::deque<Delivery> deliveries_;
  int io_depth_ = 0;
  bool tick_posted_ = false;
  bool shutting_down_ = false;
  DohTransportStats stats_;
  // Posted tasks check it: they may run after this transport is gone.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace trr

#endif  // TRR_TRR_TRANSPORT_DOH_TRANSPORT_H_
