// HostRecord and CacheKey: what the host cache keeps, and under which key.

#ifndef TRR_HOSTCACHE_HOST_RECORD_H_
#define TRR_HOSTCACHE_HOST_RECORD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "trr/ip_address.h"
#include "trr/svcb_record.h"
#include "trr/types.h"

namespace trr {

// Which path produced a record.
enum class RecordSource : uint8_t { kTrr, kNative };

struct HostRecord {
  std::vector<IpAddress> addresses;
  std::string canonical_name;
  // For kHttps and kTxt lookups.
  std::vector<SvcbRecord> https;
  std::vector<std::string> txt;
  // The TTL the answer carried, in seconds; absent for native results
  // (getaddrinfo has none), which then live network.dnsCacheExpiration.
  std::optional<uint32_t> ttl_seconds;
  RecordSource source = RecordSource::kNative;
  NegativeKind negative = NegativeKind::kNone;
  // The resolver set the AD bit (RFC 4035 section 3.2.3).
  bool authentic_data = false;
};

// Adds the AAAA answer `aaaa` to the A answer `a`, making the answer for
// both families (an unspecified lookup). The one rule, used by the cache
// (which keeps each family apart) and by the resolver (which asks for each
// apart): every address, A first; with none, NXDOMAIN only when both said
// NXDOMAIN, else NODATA; the lower TTL; the AD bit only when both had it;
// the first canonical name.
void MergeFamilies(HostRecord& a, const HostRecord& aaaa);

// Lower-cases `host` and drops one trailing dot: "WWW.Example.COM." ->
// "www.example.com". Names are compared case-insensitively (RFC 4343).
std::string NormalizeHostName(absl::string_view host);

// The key fields as views, for lookups that must not allocate.
struct CacheKeyView {
  absl::string_view host;  // normalized
  QueryKind kind = QueryKind::kUnspecified;
  // The flags that change an answer: the effective TRR mode and whether TRR
  // was disabled for the request (Firefox keys its cache on both).
  uint8_t trr_mode = 0;
  bool trr_disabled = false;
  // Chosen by the embedder (origin attributes, private browsing): entries in
  // one partition are never seen from another.
  absl::string_view partition;
  // The entry holds the ipv4hint/ipv6hint addresses an HTTPS answer gave for
  // `host` (Firefox's RESOLVE_IP_HINT entries), not an answer for it: only
  // Resolver::ResolveIpHint reads these.
  bool ip_hint = false;

  template <typename H>
  friend H AbslHashValue(H h, const CacheKeyView& k) {
    return H::combine(std::move(h), k.host, k.kind, k.trr_mode, k.trr_disabled,
                      k.partition, k.ip_hint);
  }
  friend bool operator==(const CacheKeyView& a, const CacheKeyView& b) {
    return a.host == b.host && a.kind == b.kind && a.trr_mode == b.trr_mode &&
           a.trr_disabled == b.trr_disabled && a.partition == b.partition &&
           a.ip_hint == b.ip_hint;
  }
};

struct CacheKey {
  std::string host;
  QueryKind kind = QueryKind::kUnspecified;
  uint8_t trr_mode = 0;
  bool trr_disabled = false;
  std::string partition;
  bool ip_hint = false;

  CacheKeyView view() const {
    return CacheKeyView{host, kind, trr_mode, trr_disabled, partition, ip_hint};
  }
  static CacheKey From(const CacheKeyView& v) {
    return CacheKey{
        std::string(v.host),      v.kind,   v.trr_mode, v.trr_disabled,
        std::string(v.partition), v.ip_hint};
  }
};

}  // namespace trr

#endif  // TRR_HOSTCACHE_HOST_RECORD_H_
