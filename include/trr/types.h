// trr/types.h: small types shared by the public API: what a lookup asks
// for, negative answers, one row of the cache dump, and one connection to
// the DoH server.

#ifndef TRR_INCLUDE_TRR_TYPES_H_
#define TRR_INCLUDE_TRR_TYPES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "trr/export.h"

namespace trr {

// What a lookup asks for: an address family, both, or a record type.
enum class QueryKind : uint8_t {
  kUnspecified,  // A and AAAA
  kIpv4,         // A
  kIpv6,         // AAAA
  kHttps,        // HTTPS (type 65)
  kTxt,          // TXT
};

// "unspec", "ipv4", "ipv6", "https", "txt": the about:networking family.
TRR_EXPORT const char* QueryKindName(QueryKind kind);

// network.trr.mode, as Firefox numbers it.
enum class TrrMode : uint8_t {
  kOff = 0,          // native only (TRR only for requests that opt in)
  kRace = 1,         // TRR and native at once, the first answer wins
  kFirst = 2,        // TRR first, native when it fails
  kOnly = 3,         // TRR only: never plaintext DNS
  kShadow = 4,       // both, native's answer used, TRR's compared
  kOffByChoice = 5,  // off, and requests may not opt in
};
// The mode a pref value means: 0-5 as above, anything else acts as 5 (as
// in Firefox).
TRR_EXPORT TrrMode TrrModeFromPref(int value);
// "off", "race", "first", "only", "shadow", "off-by-choice" ("unknown"
// outside the list).
TRR_EXPORT const char* TrrModeName(TrrMode mode);

// Why a record holds no data: a negative answer cached (RFC 2308).
enum class NegativeKind : uint8_t { kNone, kNxDomain, kNoData };

// One row of the about:networking#dns table, plus our columns.
struct CacheEntryInfo {
  std::string host;
  QueryKind kind = QueryKind::kUnspecified;
  bool trr = false;
  std::vector<std::string> addresses;
  std::string canonical_name;
  // Seconds until expiry; negative once expired.
  int64_t expires_in_seconds = 0;
  std::string partition;
  uint8_t trr_mode = 0;
  bool trr_disabled = false;
  NegativeKind negative = NegativeKind::kNone;
  uint64_t hits = 0;
  bool stale = false;
};

// One connection to the DoH server, as the dump shows it.
struct DohConnectionInfo {
  std::string protocol;  // "h2" or "http/1.1"
  // "resolving", "connecting", "tls", "open", "draining".
  std::string state;
  std::string address;     // "127.0.0.1:443", "[::1]:443"; "" before connecting
  uint32_t in_flight = 0;  // requests on it now
  // HTTP/2: how many it may carry at once now (trr's adaptive window,
  // within the server's SETTINGS_MAX_CONCURRENT_STREAMS), and that
  // setting. 1 and 1 for HTTP/1.1.
  uint32_t stream_limit = 0;
  uint32_t server_max_streams = 0;
  uint64_t answered = 0;  // responses it carried
  // Its TLS session was resumed from an earlier connection's (no
  // certificate sent or checked again).
  bool tls_resumed = false;
};

}  // namespace trr

#endif  // TRR_INCLUDE_TRR_TYPES_H_
