// Native resolution, the path TRR falls back to: the system resolver
// (getaddrinfo on a small worker pool) or, with
// network.dns.native_nameserver, plain DNS to one server (UDP, TCP when the
// answer is truncated). Results arrive on the EventLoop, exactly once.

#ifndef TRR_TRR_NATIVE_NATIVE_RESOLVER_H_
#define TRR_TRR_NATIVE_NATIVE_RESOLVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "hostcache/host_record.h"
#include "trr/ip_address.h"
#include "trr/loop/event_loop.h"

namespace trr {

struct NativeResult {
  enum class Outcome : uint8_t { kOk, kNxDomain, kNoData, kFailed };
  Outcome outcome = Outcome::kFailed;
  // The answer (kOk), or the negative one. Plain DNS answers carry a TTL
  // (or a negative TTL); getaddrinfo's do not.
  HostRecord answer;
  // For kFailed: what went wrong.
  std::string error;
};

class NativeResolver {
 public:
  using Callback = std::function<void(NativeResult)>;
  virtual ~NativeResolver() = default;
  // Loop thread only. `done` runs on the loop, exactly once, never inside
  // this call.
  virtual void Resolve(const std::string& host, QueryKind kind,
                       absl::Duration timeout, Callback done) = 0;
  // Completes everything outstanding now (kFailed, "cancelled").
  virtual void CancelAll() = 0;
  // "system" or "udp://IP:PORT", for the dump.
  virtual std::string Describe() const = 0;
  // Datagrams and TCP queries sent so far, retransmissions included (plain
  // DNS), or lookups started (system).
  virtual uint64_t lookups() const = 0;
};

// How the system resolver looks a name up, on one of its worker threads:
// getaddrinfo() for AF_INET, AF_INET6 or AF_UNSPEC (tests give one that
// hangs). Each lookup fails at its timeout even if this never returns.
using SystemLookup =
    std::function<NativeResult(const std::string& host, int family)>;
std::unique_ptr<NativeResolver> MakeSystemResolver(
    EventLoop* loop, int threads, SystemLookup lookup = nullptr);
// Plain DNS to one server: Resolve for addresses, ResolveType for one
// question of any other type (DDR's SVCB query). Each query has a socket
// connected to the server (datagrams from elsewhere never arrive) and an ID
// from the system's CSPRNG unique among those in flight; an answer to
// another question is ignored (it may be spoofed), and a lookup that then
// times out says what was ignored. UDP is tried up to three times within
// the timeout (T/7, then 2T/7, then 4T/7), then TCP after a truncated
// answer.
class PlainDnsClient : public NativeResolver {
 public:
  // The answer's records of `type` (SVCB and HTTPS records in
  // answer.https), or NXDOMAIN, NODATA or the failure, as for Resolve.
  virtual void ResolveType(const std::string& host, uint16_t type,
                           absl::Duration timeout, Callback done) = 0;
};
std::unique_ptr<PlainDnsClient> MakePlainDnsResolver(EventLoop* loop,
                                                     IpAddress server,
                                                     uint16_t port);

// A failed result saying `error`.
NativeResult NativeFailure(std::string error);

// Parses "IP:PORT", "[IPv6]:PORT" or a bare IP (port 53).
std::optional<std::pair<IpAddress, uint16_t>> ParseIpPort(
    absl::string_view text);

}  // namespace trr

#endif  // TRR_TRR_NATIVE_NATIVE_RESOLVER_H_
