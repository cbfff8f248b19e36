// Tunnels to the DoH server through a proxy, as Firefox sends TRR through
// its configured one: HTTP CONNECT (RFC 9110 section 9.3.6; Firefox's
// network.proxy.ssl) and SOCKS5 (RFC 1928; network.proxy.socks), both
// with the DoH host's name given to the proxy (no local lookup). Pure:
// what to send, and what the proxy's answer so far comes to; the
// transport does the I/O.

#ifndef TRR_TRR_TRANSPORT_PROXY_H_
#define TRR_TRR_TRANSPORT_PROXY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace trr {

struct ProxyConfig {
  enum class Kind : uint8_t { kNone, kHttpConnect, kSocks5 };
  Kind kind = Kind::kNone;
  std::string host;  // an IP literal or a name the system resolves
  uint16_t port = 0;

  friend bool operator==(const ProxyConfig& a, const ProxyConfig& b) {
    return a.kind == b.kind && a.host == b.host && a.port == b.port;
  }
  friend bool operator!=(const ProxyConfig& a, const ProxyConfig& b) {
    return !(a == b);
  }
};

// "http-connect 127.0.0.1:3128", "socks5 ...", or "direct".
std::string DescribeProxy(const ProxyConfig& proxy);

// Whether `host` is left out of proxying by network.proxy.no_proxies_on:
// comma- or space-separated entries, each a host name (which also covers
// its subdomains), ".domain" (only its subdomains), or an IP address.
bool NoProxyFor(absl::string_view no_proxies_on, absl::string_view host);

// What the proxy's answer so far comes to.
struct ProxyReply {
  enum class State : uint8_t { kNeedMore, kOk, kFailed };
  State state = State::kNeedMore;
  size_t consumed = 0;  // bytes of the answer (kOk)
  std::string error;    // kFailed: what the proxy said, for the detail
};

// The most a proxy's answer may take before it is garbage.
inline constexpr size_t kMaxProxyReply = 8192;

std::string HttpConnectRequest(absl::string_view host, uint16_t port);
// A status line "HTTP/1.x 2xx ..." and headers up to the empty line.
ProxyReply ParseHttpConnectReply(absl::string_view data);

// The greeting: version 5, one method, "no authentication".
std::vector<uint8_t> Socks5Greeting();
// The method the server chose: it must be "no authentication".
ProxyReply ParseSocks5Method(absl::Span<const uint8_t> data);
// CONNECT to an IPv4 or IPv6 literal, or to a name (at most 255 bytes).
std::vector<uint8_t> Socks5Connect(absl::string_view host, uint16_t port);
ProxyReply ParseSocks5Reply(absl::Span<const uint8_t> data);

// The whole conversation with the proxy until the tunnel is up, as a state
// machine with no I/O: Start gives the first bytes to send; each read from
// the proxy goes to Read, which says what to do next.
class ProxyHandshake {
 public:
  enum class State : uint8_t {
    kHttpConnectReply,  // sent CONNECT; waiting for its status and headers
    kSocks5Method,      // sent the greeting; waiting for the chosen method
    kSocks5Reply,       // sent CONNECT; waiting for the reply
    kTunneled,          // the tunnel is up: TLS to the server goes next
    kFailed,
  };
  struct Step {
    State state;
    std::vector<uint8_t> send;  // to send now (the SOCKS5 CONNECT)
    std::string error;          // kFailed: why, for the detail
  };

  // Through `proxy` (kHttpConnect or kSocks5) to host:port.
  ProxyHandshake(const ProxyConfig& proxy, std::string host, uint16_t port);

  std::vector<uint8_t> Start();
  // Bytes the proxy sent. The server speaks only after our ClientHello, so
  // anything after the proxy's last answer is an error, as is an answer
  // over kMaxProxyReply.
  Step Read(absl::Span<const uint8_t> bytes);
  State state() const { return state_; }

 private:
  Step Fail(std::string error);

  ProxyConfig proxy_;
  std::string host_;
  uint16_t port_;
  State state_;
  std::vector<uint8_t> in_;  // the current answer so far
};

}  // namespace trr

#endif  // TRR_TRR_TRANSPORT_PROXY_H_
