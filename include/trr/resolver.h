// trr/resolver.h: Resolver, what an embedder links in place of its system
// resolver. Resolves
// names over DoH under network.trr.mode, falls back to native resolution as
// Firefox's TRR does, keeps a TTL host cache and shows all of it in a
// snapshot (the about:networking#dns data).
//
// Threads: Resolve() may be called from any thread, and never runs the
// callback itself. An answer known at once (a cache hit, an IP literal,
// localhost, a bad name) is returned by Resolve(), and the callback is not
// called; every other lookup completes exactly once through the callback,
// on the resolver's network thread, also when cancelled and when the
// resolver is destroyed (status Cancelled). Callbacks must not block; they
// may call Resolve(), Cancel() and SetPrefs().

#ifndef TRR_INCLUDE_TRR_RESOLVER_H_
#define TRR_INCLUDE_TRR_RESOLVER_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trr/export.h"
#include "trr/ip_address.h"
#include "trr/pref_value.h"
#include "trr/prefs.h"
#include "trr/status.h"
#include "trr/svcb_record.h"
#include "trr/types.h"

namespace trr {

// Which path produced a result.
enum class ResultSource : uint8_t { kTrr, kNative, kCache, kStale, kNone };
// "trr", "native", "cache", "stale", "none" ("unknown" outside the list).
TRR_EXPORT const char* ResultSourceName(ResultSource source);

// Why TRR was not used for a request.
enum class SkipReason : uint8_t {
  kNone,                // TRR was used or tried
  kModeOff,             // network.trr.mode 0
  kModeOffByChoice,     // mode 5 (or an unknown mode)
  kDisabledByRequest,   // ResolveOptions::disable_trr
  kExcluded,            // excluded-domains or builtin-excluded-domains
  kEtcHosts,            // listed in /etc/hosts (exclude-etc-hosts)
  kLocalhost,           // localhost: always loopback, no query
  kBlocklisted,         // on the temporary blocklist
  kSingleLabel,         // a name without a dot, in mode 2
  kNotConfirmed,        // confirmation failed (mode 2)
  kWaitingForPortal,    // wait-for-portal and no clear portal yet
  kIpv6Disabled,        // AAAA asked with network.dns.disableIPv6
  kNoUri,               // no valid DoH URI
  kServersUnavailable,  // every DoH server is unavailable (mode 2)
  kCanary,              // the network asked for no DoH (canary domain, mode 2)
  kDnsSuffix,  // under a DNS suffix of the network (split horizon, mode 2)
  kIpLiteral,  // an IP address literal: answered as itself, no query
  // A .onion name (RFC 7686) with network.dns.blockDotOnion: refused in
  // every mode, asking nobody.
  kDotOnion,
};
// "none", "mode-off", "mode-off-by-choice", ... ("unknown" outside the
// list).
TRR_EXPORT const char* SkipReasonName(SkipReason reason);

// Why TRR gave no usable answer for a lookup: a closed set, so a server
// cannot mint new counter names. What the server said beyond it (an
// Extended DNS Error's text, an unusual RCODE) goes into the result's
// status message, never into a name.
enum class TrrFailure : uint8_t {
  kNone,
  // Negative answers: the server works, the name has no addresses.
  kNxDomain,   // "nxdomain"
  kNoRecords,  // "no-records" (NODATA)
  // The server blocked the name, with an Extended DNS Error (Blocked,
  // Censored, Filtered, Forged Answer) and hard_fail_on_extended_error.
  kBlocked,  // "blocked"
  // Answers trr does not use.
  kPrivateAddress,     // "private-address" (without allow-rfc1918)
  kBadAnswer,          // "bad-answer": unparsable, or for another question
  kBadCnameTarget,     // "bad-cname-target"
  kCnameChainTooLong,  // "cname-chain-too-long"
  // The server's RCODE.
  kServFail,    // "servfail"
  kRefused,     // "refused"
  kFormErr,     // "formerr"
  kNotImp,      // "notimp"
  kOtherRcode,  // "rcode-other"
  // The DoH exchange (DohError).
  kHttpStatus,      // "http-status"
  kContentType,     // "content-type"
  kTooLarge,        // "too-large"
  kTls,             // "tls"
  kConnect,         // "connect"
  kTimeout,         // "timeout"
  kReset,           // "reset"
  kStreamRefused,   // "stream-refused": refused every time it was sent
  kCancelled,       // "cancelled"
  kTransportOther,  // "transport-other"
  // No DoH server was usable (modes 1 and 4; mode 2 skips TRR instead, and
  // mode 3 tries them anyway), or a query's server left the list and the
  // new list has none.
  kServersUnavailable,  // "servers-unavailable"
  // Every address was 0.0.0.0 or :: (a filter's answer), with
  // network.trr.fallback-on-zero-response.
  kZeroAddress,  // "zero-address"
  // Oblivious DoH's own failure: no key configuration from the gateway,
  // or an answer that did not open (network.trr.use_ohttp). The relay's
  // HTTP failures are the DoH exchange's above.
  kOhttp,  // "ohttp"
  // SERVFAIL with Extended DNS Error 6 (DNSSEC Bogus): the resolver's
  // validation failed. Never routed around (docs/USER_GUIDE.md).
  kDnssecBogus,  // "dnssec-bogus"
};
inline constexpr int kTrrFailureCount =
    static_cast<int>(TrrFailure::kDnssecBogus) + 1;
// The stable names above; "" for kNone, "unknown" for a value outside
// the list.
TRR_EXPORT const char* TrrFailureName(TrrFailure failure);

// Why a lookup's native path ran: the rule that allowed the name to go to
// the system (plaintext) resolver. kNone when it did not go there.
// docs/USER_GUIDE.md ("When mode 2 falls back") has each rule beside
// Firefox's.
enum class NativeReason : uint8_t {
  kNone,  // "none": the native resolver was not asked
  // Mode 0 or 5, or a request with disable_trr: TRR is off for it.
  kTrrOff,  // "trr-off"
  // Modes 1 and 4 ask both resolvers at once.
  kBothPaths,  // "both-paths"
  // TRR was not asked for this name (skip_reason says why: excluded,
  // /etc/hosts, blocklisted, not confirmed...).
  kTrrSkipped,  // "trr-skipped"
  // Mode 2: TRR said NXDOMAIN, or no records of any family (a name that
  // may exist only inside the network). Allowed with strict fallback too.
  kNegativeAnswer,  // "negative-answer"
  // Mode 2: TRR's addresses were private (allow-rfc1918 off) or 0.0.0.0
  // (fallback-on-zero-response). Allowed with strict fallback too.
  kUnusableAnswer,  // "unusable-answer"
  // Mode 2: the DoH exchange failed (connection, TLS, HTTP status, an
  // answer that does not decode). Not with strict_native_fallback.
  kTrrFailed,  // "trr-failed"
  // Mode 2: TRR timed out. With strict_native_fallback only when
  // strict_native_fallback_allow_timeouts is on.
  kTrrTimedOut,  // "trr-timed-out"
};
inline constexpr int kNativeReasonCount =
    static_cast<int>(NativeReason::kTrrTimedOut) + 1;
// The stable names above ("unknown" outside the list).
TRR_EXPORT const char* NativeReasonName(NativeReason reason);

enum class CaptivePortalState : uint8_t { kUnknown, kLocked, kClear };

struct ResolveOptions {
  // What to ask for: both families (default), one, HTTPS or TXT records.
  QueryKind type = QueryKind::kUnspecified;
  // Skip the cache for this request (the answer still fills it).
  bool bypass_cache = false;
  // Resolve natively whatever the mode (except mode 3, which still allows
  // only excluded names natively).
  bool disable_trr = false;
  // This request's TRR mode instead of network.trr.mode. A request may opt
  // in to TRR under mode 0, never under mode 5.
  std::optional<int> trr_mode;
  // Entries in one partition are never served to another (private
  // browsing, origin attributes).
  std::string partition;
  // Complete even an answer known at once through the callback, on the
  // network thread, instead of returning it from Resolve(): one path for
  // every answer, at the cost of a hop between threads (the C API's way).
  bool complete_async = false;
  // The origin's port, for an HTTPS lookup (0: unknown, as 443). With
  // network.dns.port_prefixed_qname_https_rr, another port is asked as
  // _PORT._https.NAME.
  uint16_t port = 0;
};

struct ResolveResult {
  // OK; NotFound for NXDOMAIN or no records of the type (negative answers);
  // Unavailable when every allowed path failed; InvalidArgument for a bad
  // name; Cancelled; PermissionDenied when the trusted resolver blocked the
  // name (Extended DNS Error) and no fallback is allowed.
  Status status;
  std::vector<IpAddress> addresses;
  std::vector<SvcbRecord> https;
  std::vector<std::string> txt;
  std::string canonical_name;
  // How long the answer may be kept from now.
  std::chrono::seconds ttl{0};
  ResultSource source = ResultSource::kNone;
  SkipReason skip_reason = SkipReason::kNone;
  // The answer was DNSSEC-validated by the resolver (AD bit).
  bool authentic_data = false;
  // When TRR was tried and gave no usable answer: why (TrrFailureName
  // gives "timeout", "nxdomain"...).
  TrrFailure trr_failure = TrrFailure::kNone;
  // When the native resolver was asked: the rule that allowed it.
  NativeReason native_reason = NativeReason::kNone;

  bool ok() const { return status.ok(); }
};

struct ResolverCounters {
  // Lookups started per effective mode (0-5).
  std::array<uint64_t, 6> lookups_by_mode{};
  uint64_t cache_hits = 0;
  uint64_t stale_answers = 0;
  // Lookups Resolve() refused because network.dns.max_pending_lookups
  // were outstanding.
  uint64_t lookups_refused = 0;
  uint64_t trr_ok = 0;
  uint64_t trr_nxdomain = 0;
  // TRR failures by reason (negative answers are trr_nxdomain and
  // trr_ok): at most one entry per TrrFailure.
  std::map<TrrFailure, uint64_t> trr_failures;
  uint64_t native_ok = 0;
  uint64_t native_failed = 0;
  // Mode 2 lookups that went native after TRR was asked.
  uint64_t fallbacks = 0;
  // Lookups whose native path ran, by the rule that allowed it (indexed
  // by NativeReason; kNone stays 0).
  std::array<uint64_t, kNativeReasonCount> native_by_reason{};
  uint64_t race_trr_wins = 0;
  uint64_t race_native_wins = 0;
  uint64_t shadow_agree = 0;
  uint64_t shadow_disagree = 0;
  uint64_t shadow_trr_failed = 0;
  uint64_t confirmation_attempts = 0;
  uint64_t confirmation_state_changes = 0;
  uint64_t blocklist_additions = 0;
  // ReportConnectFailure calls that acted (mode 2).
  uint64_t connect_failures_reported = 0;
  uint64_t native_queries = 0;
  uint64_t doh_requests = 0;
  uint64_t doh_connections = 0;
  // Streams the DoH server refused (REFUSED_STREAM, above a GOAWAY's last
  // stream), requests sent again after a refusal or a dropped connection,
  // and times the stream window shrank for it.
  uint64_t doh_refused_streams = 0;
  uint64_t doh_retried = 0;
  uint64_t doh_window_decreases = 0;
  // GOAWAY frames the DoH server sent (it is closing that connection).
  uint64_t doh_goaways = 0;
  // Connections dropped for not answering a health PING in time
  // (network.trr.ping_timeout): after a network change, or idle.
  uint64_t doh_ping_timeouts = 0;
  // Queries failed at once because a server's last connection setups
  // failed and its back-off had not passed (docs/SECURITY.md).
  uint64_t doh_backoff_refusals = 0;
};

// Everything the about:networking page shows.
// One DoH server of network.trr.uri, as the dump shows it.
struct DohServerInfo {
  std::string uri;  // the template as configured
  // "available", or "unavailable" (with several servers: after failed
  // exchanges in a row, until a probe is answered; one server is always
  // available, its confirmation decides).
  std::string state;
  std::string confirmation;  // as ResolverSnapshot::confirmation_state
  int failures_in_row = 0;
  // While unavailable: milliseconds until the next probe; -1 otherwise.
  int64_t next_probe_ms = -1;
  uint64_t queries = 0;  // lookup queries sent to it
  uint64_t answers = 0;  // answered, with any RCODE (SERVFAIL, REFUSED too)
  // Exchanges that failed: no answer in time, a connection, TLS or HTTP
  // failure, a body that is no DNS answer.
  uint64_t failures = 0;
  uint64_t probes = 0;
  double p50_ms = 0;  // of its last 128 answers; 0 before any
  // The addresses it is reached at without a native lookup (the JSON
  // form's endpoints, or network.trr.bootstrapAddr for a single server;
  // a discovered server's address hints).
  std::vector<std::string> bootstrap;
  // Designated by the network's resolver (DDR) and verified, rather than
  // configured; discovered servers follow the configured ones.
  bool discovered = false;
};

// One encrypted resolver the network's resolver designated (DDR).
struct DdrDesignationInfo {
  std::string uri;
  // "verifying"; "verified" (now in the server list); "unverified" (its
  // certificate does not cover the designating resolver's address, or it
  // could not be reached to check); "ignored" (not a designation trr can
  // use: no h2, no dohpath, AliasMode, a loop, a duplicate...).
  std::string state;
  std::string reason;  // why unverified or ignored
};

// Discovery of Designated Resolvers (network.trr.ddr.enabled, RFC 9462).
struct DdrInfo {
  // "off", "querying", "done" or "failed".
  std::string state = "off";
  // The unencrypted resolver asked, "IP:port".
  std::string resolver;
  // Why it is off or failed, or what the answer came to.
  std::string detail;
  std::vector<DdrDesignationInfo> designations;
};

// A DoH server's availability or confirmation state changed: trr's
// equivalent of Firefox's "network:trr-confirmation" notification.
struct ServerEvent {
  enum class What : uint8_t { kAvailability, kConfirmation };
  What what = What::kAvailability;
  std::string uri;           // the server, as configured
  std::string state;         // "available" or "unavailable"
  std::string confirmation;  // "ok", "failed", "trying-ok"...
};

// Oblivious DoH (network.trr.use_ohttp): where queries go, the gateway's
// key, and what was sealed and opened. `enabled` false when it is off.
struct OhttpInfo {
  bool enabled = false;
  std::string relay;       // network.trr.ohttp.relay_uri: sees the client
  std::string key_config;  // network.trr.ohttp.config_uri
  std::string target;      // network.trr.ohttp.uri, behind the gateway
  // The gateway's key in use, and its suite ("X25519, HKDF-SHA256,
  // AES-128-GCM"); -1 and "" before one was fetched.
  int key_id = -1;
  std::string suite;
  uint64_t key_fetches = 0;         // GETs of the key configuration
  uint64_t key_fetch_failures = 0;  // of those, the ones that gave no key
  uint64_t sealed = 0;              // queries sealed and sent to the relay
  // Of those, sealed with a context prepared ahead (the X25519 work done
  // while the loop was idle, not on the query's path).
  uint64_t sealed_prepared = 0;
  uint64_t opened = 0;         // answers that opened
  uint64_t open_failures = 0;  // answers that did not (tampered, stale key)
  uint64_t relay_errors = 0;  // the relay's or gateway's failures (not cancels)
};

struct ResolverSnapshot {
  // When it was taken, by the wall clock.
  std::chrono::system_clock::time_point taken_at;
  int mode = 0;
  std::string uri;
  // The first server's (each server's is in `servers`).
  std::string confirmation_state;
  // The DoH servers, in the order lookups try them.
  std::vector<DohServerInfo> servers;
  // network.trr.canary_domain_check: "off", "pending", "clear", or
  // "tripped" (the network asked for no DoH; mode 2 resolves natively).
  std::string canary = "off";
  DdrInfo ddr;
  // The network's DNS suffixes (SetDnsSuffixes, and resolv.conf's search
  // line, read only while network.trr.split_horizon_mitigations is on),
  // resolved natively in mode 2 with that pref.
  std::vector<std::string> dns_suffixes;
  std::string native_resolver;
  // How DoH connects: "direct", or "http-connect HOST:PORT" or
  // "socks5 HOST:PORT" (network.proxy.*).
  std::string proxy = "direct";
  OhttpInfo ohttp;
  // Mode 3 without bootstrapAddr: the DoH host itself is resolved by the
  // system resolver (once), as Firefox does.
  bool doh_host_resolved_natively = false;
  CaptivePortalState captive_portal = CaptivePortalState::kUnknown;
  // (name, seconds left).
  std::vector<std::pair<std::string, int64_t>> blocklist;
  ResolverCounters counters;
  // The connections to the DoH server open now, and the protocol each
  // speaks.
  std::vector<DohConnectionInfo> doh_connections;
  // Every pref with its layer; network.trr.credentials redacted.
  std::vector<prefs::EffectivePref> prefs;
  std::vector<CacheEntryInfo> cache;
};

class TRR_EXPORT Resolver {
 public:
  struct Options {
    // Names listed here go native when network.trr.exclude-etc-hosts is on.
    std::string etc_hosts_path = "/etc/hosts";
    // Its search line gives the network's DNS suffixes (split horizon);
    // its first nameserver is the resolver DDR asks, unless
    // network.dns.native_nameserver names one.
    std::string resolv_conf_path = "/etc/resolv.conf";
    // Worker threads for getaddrinfo().
    int native_threads = 4;
  };
  using Callback = std::function<void(const ResolveResult&)>;
  using RequestId = uint64_t;

  static StatusOr<std::unique_ptr<Resolver>> Create(Options options);
  static StatusOr<std::unique_ptr<Resolver>> Create() {
    return Create(Options());
  }
  // Completes every outstanding request with Cancelled, then stops.
  ~Resolver();

  // What Resolve() did: answered at once (`result` is set and `done` will
  // never be called), or started a lookup that completes through `done`
  // (`id` is for Cancel()).
  struct Started {
    RequestId id = 0;
    std::optional<ResolveResult> result;
    bool answered() const { return result.has_value(); }
  };
  // Starts a lookup; see the threading note at the top.
  Started Resolve(std::string_view host, const ResolveOptions& options,
                  Callback done);
  // The same, waiting for the result. Called from a callback (on the
  // network thread) it returns FailedPrecondition at once instead of
  // waiting for itself.
  ResolveResult ResolveSync(std::string_view host,
                            const ResolveOptions& options = ResolveOptions());
  // The IP hints (ipv4hint, ipv6hint) that a cached HTTPS answer gave for
  // `host` as a target (its own name for a target of "."), as Firefox's
  // RESOLVE_IP_HINT reads them: from the cache only, never asking anyone,
  // at once, on any thread (callbacks included). NotFound when none is
  // cached. Options used: type (both families, IPv4 or IPv6; others are
  // InvalidArgument), partition, disable_trr and trr_mode, which pick the
  // cache entry as for Resolve. Hints only help to connect sooner; an
  // ordinary lookup of the name gives its addresses.
  ResolveResult LookupIpHint(std::string_view host,
                             const ResolveOptions& options = ResolveOptions());
  // Completes that one request with Cancelled (others sharing its query go
  // on). No-op once it has completed.
  void Cancel(RequestId id);

  // Prefs, with Firefox's names (docs/prefs.md). Changes apply live and
  // are in effect when these return; pref observers may call them (a change
  // made from an observer is notified after the one being notified).
  // SetPrefs sets programmatic overrides (applied together or not at all);
  // LoadPrefsFile reads a prefs.js file, applied whole or not at all, with
  // "FILE:LINE:COLUMN: ..." errors.
  Status SetPrefs(
      const std::vector<std::pair<std::string, prefs::PrefValue>>& prefs);
  StatusOr<prefs::LoadReport> LoadPrefsFile(const std::string& path);
  // Reloads the last pref file whenever it changes on disk; `on_reload`
  // gets each result (on a thread of the resolver's), errors included.
  Status WatchPrefsFile(
      std::function<void(const StatusOr<prefs::LoadReport>&)> on_reload);
  // The effective value of a pref and where it came from.
  std::optional<prefs::EffectivePref> GetPref(std::string_view name) const;
  // Calls `observer` once per change of every pref starting with `prefix`,
  // after the whole change is applied. Returns an id for RemovePrefObserver.
  uint64_t AddPrefObserver(
      std::string_view prefix,
      std::function<void(const prefs::PrefChange&)> observer);
  void RemovePrefObserver(uint64_t id);

  // Calls `observer` on the resolver's network thread each time a DoH
  // server's availability or confirmation state changes (it must not
  // block). Returns an id for RemoveServerObserver; after that returns,
  // the observer is not called again.
  uint64_t AddServerObserver(std::function<void(const ServerEvent&)> observer);
  void RemoveServerObserver(uint64_t id);

  // The network changed: the cache goes stale and confirmation restarts.
  void OnNetworkChanged();
  // Clear restarts confirmation and lets wait-for-portal TRR start.
  void SetCaptivePortalState(CaptivePortalState state);
  // The embedder could not connect to any address TRR gave for `host`
  // (Firefox's retry without TRR). In mode 2 its TRR answers leave the
  // cache and the name goes on the temporary blocklist, so the next lookup
  // resolves it natively; other modes ignore it (mode 3 never goes native).
  // In effect when it returns.
  void ReportConnectFailure(std::string_view host);
  // The network's DNS suffixes, as the OS gives them to the embedder (they
  // join resolv.conf's search domains; names that are not valid host
  // names are ignored). In effect when it returns.
  void SetDnsSuffixes(const std::vector<std::string>& suffixes);
  void ClearCache();

  ResolverSnapshot Snapshot() const;

  class Impl;

 private:
  // Makes resolvers with the seams of trr/resolver_testing.h (not shipped).
  friend class ResolverFactory;
  explicit Resolver(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace trr

#endif  // TRR_INCLUDE_TRR_RESOLVER_H_
