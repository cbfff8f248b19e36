// Resolver::Impl, and what its two source files share: resolver.cc (the
// facade, prefs, the calling threads' side, confirmation, the captive
// portal, the snapshot) and resolver_jobs.cc (a lookup on the network
// thread: the skip policy, TRR, native, the modes, finishing). Internal to
// libtrr; docs/ARCHITECTURE.md draws the threads and a lookup's states.

#ifndef TRR_TRR_RESOLVER_RESOLVER_IMPL_H_
#define TRR_TRR_RESOLVER_RESOLVER_IMPL_H_

#include <array>
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/mutex.h"
#include "hostcache/host_cache.h"
#include "hostcache/host_record.h"
#include "prefs/pref_store.h"
#include "trr/dns/dns_types.h"
#include "trr/dns/query.h"
#include "trr/dns/response.h"
#include "trr/loop/event_loop.h"
#include "trr/loop/timer.h"
#include "trr/native/native_resolver.h"
#include "trr/resolver/lookup_policy.h"
#include "trr/resolver/resolver_testing.h"
#include "trr/servers/confirmation.h"
#include "trr/servers/server_health.h"
#include "trr/servers/server_list.h"
#include "trr/servers/temp_blocklist.h"
#include "trr/transport/doh_transport.h"
#include "trr/transport/proxy.h"

namespace trr {
// The typed pref keys, as the resolver reads them from Settings::pref.
namespace keys = prefs::keys;

namespace resolver_internal {

constexpr int kMaxCnameFollows = 8;

// The headers of DoH requests that could tell this client from another,
// as Firefox's network.trr.send_* prefs choose them (resolver_servers.cc).
ClientHeaders ClientHeadersFromPrefs(const prefs::PrefValues& pref);

// A request's mode: its own override, except that mode 5 ("off by
// choice") cannot be overridden.
inline TrrMode RequestMode(TrrMode pref_mode,
                           const std::optional<int>& override_mode) {
  if (pref_mode == TrrMode::kOffByChoice || !override_mode) return pref_mode;
  return TrrModeFromPref(*override_mode);
}

inline int ModeNumber(TrrMode mode) { return static_cast<int>(mode); }

// The prefs, read once per change for the loop: every pref's value as set
// (`pref`, a struct made from pref_list.inc, read by typed key:
// `settings_.pref.Get(keys::kTrrUseGET)`), and what the resolver derives
// from them: the server list, addresses, durations, domain lists, the
// proxy, the cache's options. Only derived values are fields here; every
// one comes from ReadSettings, and the defaults are pref_list.inc's alone.
struct Settings {
  prefs::PrefValues pref;
  TrrMode mode{};
  // network.trr.uri as set (or the default provider's), and the servers
  // it lists, in order; a single server without addresses of its own takes
  // network.trr.bootstrapAddr. With network.trr.use_ohttp, the one server
  // is network.trr.ohttp.uri, asked through the relay only (`ohttp`, set
  // when its URIs parse; without it there is no server at all).
  std::string uri_text;
  std::vector<DohServerSpec> servers;
  std::optional<OhttpConfig> ohttp;
  std::vector<IpAddress> bootstrap;
  absl::Duration confirmation_timeout;
  absl::Duration retry_initial, retry_max;
  ServerHealthConfig health;
  absl::Duration blocklist_duration;
  absl::Duration request_timeout, trronly_timeout, strict_timeout;
  absl::Duration attempt_delay;  // Happy Eyeballs
  absl::Duration ping_timeout;   // connection health
  // network.proxy.*: the proxy DoH goes through (kind kNone: direct); the
  // hosts left out of it are network.proxy.no_proxies_on.
  ProxyConfig proxy;
  DomainList excluded, builtin_excluded;
  // network.trr.ddr.enabled, off with Oblivious DoH (discovery would find
  // servers to ask in the clear).
  bool ddr{};
  absl::Duration native_timeout;
  HostCacheOptions cache;
};
// Reads one consistent snapshot of the prefs.
Settings ReadSettings(const prefs::PrefSnapshot& p);

// The names listed in an /etc/hosts-style file.
absl::flat_hash_set<std::string> ReadEtcHosts(const std::string& path);
// Whether `host` or a domain above it is one of `names` (Firefox excludes
// the subdomains of /etc/hosts names too).
bool CoveredBy(const absl::flat_hash_set<std::string>& names,
               absl::string_view host);
// The search domains of a resolv.conf file (its last search or domain
// line), normalized; none when it cannot be read.
std::vector<std::string> ReadSearchDomains(const std::string& path);
// The first nameserver line of a resolv.conf file that is an IP address.
std::optional<IpAddress> ReadFirstNameserver(const std::string& path);

// The canary domain check (network.trr.canary_domain_check).
enum class Canary : uint8_t { kOff, kPending, kClear, kTripped };
std::string CanaryName(Canary canary);
inline constexpr char kCanaryDomain[] = "use-application-dns.net";

inline bool IsLocalhost(absl::string_view host) {
  return host == "localhost" || absl::EndsWith(host, ".localhost");
}

// "onion" and the names under it (RFC 7686), in any case, with or without
// a trailing dot.
inline bool IsDotOnion(absl::string_view host) {
  absl::ConsumeSuffix(&host, ".");
  return absl::EqualsIgnoreCase(host, "onion") ||
         absl::EndsWithIgnoreCase(host, ".onion");
}

// Where a lookup is. See docs/ARCHITECTURE.md for the drawing:
//   kNew -> kRunning | kWaitingForPortal | kFinished
//   kWaitingForPortal -> kRunning | kFinished
//   kRunning -> kRunning (its second path starts) | kFinished
// A finished job in shadow mode lets its TRR query run on, to compare.
enum class JobState : uint8_t {
  kNew,               // in the job table, not yet sent anywhere
  kWaitingForPortal,  // mode 3 with wait-for-portal, until it clears
  kRunning,           // TRR, native or both out (see the path states)
  kFinished,          // its waiters have their answer
};

// Where one path (TRR, or native) of a lookup is.
enum class PathState : uint8_t { kNotStarted, kRunning, kDone };

TrrFailure FailureFor(DohError error);
TrrFailure FailureForRcode(uint16_t rcode);

// What one TRR query (one record type) came to.
struct TrrOutcome {
  enum class Kind : uint8_t { kOk, kNxDomain, kNoData, kFailed, kBlocked };
  Kind kind = Kind::kFailed;
  // The answer (kOk), or the negative one (kNxDomain, kNoData, with the
  // SOA's TTL when there was one): the same record the cache keeps.
  HostRecord answer;
  TrrFailure failure = TrrFailure::kNone;
  // What the server said beyond `failure`, for the result's message (an
  // Extended DNS Error, an unusual RCODE); never a counter name.
  std::string detail;
  // HTTPS answers: the additional section's addresses for the records'
  // targets (dns::Response::target_addresses), allowed addresses only.
  std::vector<dns::TargetAddress> target_addresses;
  // The answer stopped at a CNAME: ask again for answer.canonical_name.
  bool follow_cname = false;
};

// The last answers' latencies of one server, for its p50 in the dump.
class LatencyWindow {
 public:
  void Add(absl::Duration d) {
    samples_[next_++ % samples_.size()] = d;
    count_ = std::min(count_ + 1, samples_.size());
  }
  // Zero before the first answer.
  absl::Duration Median() const;

 private:
  std::array<absl::Duration, 128> samples_{};
  size_t next_ = 0;
  size_t count_ = 0;
};

// One DoH server of the list, in order: its own connections, confirmation,
// availability (ServerHealth) and counters. Lookups use the first usable
// one and fail over to the next.
struct DohServerState {
  DohServerSpec spec;
  // Set for a server the network's resolver designated (DDR): its
  // certificate must also cover this, that resolver's address.
  std::optional<IpAddress> verify_ip;
  // Discovered by DDR (never sent credentials), not configured.
  bool discovered() const { return verify_ip.has_value(); }
  std::unique_ptr<DohSender> transport;
  Confirmation confirmation;
  Timer confirmation_timer;
  ServerHealth health;
  Timer probe_timer;
  absl::Time next_probe;  // while probe_timer is set
  // Off the list (a new list replaced it): its late results are dropped.
  bool retired = false;
  // What observers were last told (ServerEvent).
  bool reported_available = true;
  ConfirmationState reported_confirmation = ConfirmationState::kOff;
  uint64_t queries = 0;  // lookup queries sent (probes and confirmation apart)
  uint64_t answers = 0;  // answered, with any RCODE
  // Exchanges that failed (CountsAgainstServer: no answer in time, a
  // connection, TLS or HTTP failure, a body that is no answer).
  uint64_t failures = 0;
  uint64_t probes = 0;
  LatencyWindow latency;
};
using ServerPtr = std::shared_ptr<DohServerState>;

}  // namespace resolver_internal

using resolver_internal::DohServerState;
using resolver_internal::JobState;
using resolver_internal::PathState;
using resolver_internal::ServerPtr;
using resolver_internal::Settings;
using resolver_internal::TrrOutcome;

// A ResolveSync caller waiting on its own stack for its result.
struct SyncWait {
  Mutex mu;
  CondVar cv;
  std::optional<ResolveResult> result ABSL_GUARDED_BY(mu);
};

// Where a lookup's result goes: an embedder's callback, which reads it, or a
// waiting ResolveSync caller, which takes it (moved when nobody else needs
// it). Empty for lookups nobody waits for (cache refreshes).
class Completion {
 public:
  Completion() = default;
  explicit Completion(Resolver::Callback done) : done_(std::move(done)) {}
  explicit Completion(SyncWait* wait) : wait_(wait) {}
  explicit operator bool() const { return done_ || wait_ != nullptr; }
  // Delivers `result`; with `last`, nothing reads it after this one.
  void Deliver(ResolveResult& result, bool last) const;

 private:
  Resolver::Callback done_;
  SyncWait* wait_ = nullptr;
};

// Hidden: a class nested in an exported one would be exported too.
class TRR_HIDDEN Resolver::Impl {
 public:
  Impl(Options options, ResolverSeams seams);
  ~Impl();
  // Whether its network thread runs (EventLoop::status).
  absl::Status status() const { return loop_.status(); }

  Resolver::Started Resolve(absl::string_view host,
                            const ResolveOptions& options, Completion done);
  // The answer when it is known without asking anyone (an IP literal, a bad
  // name, localhost, a cache hit); otherwise none, and `host` normalized.
  std::optional<ResolveResult> AnswerAtOnce(absl::string_view raw_host,
                                            const ResolveOptions& options,
                                            std::string& host);
  ResolveResult IpHintAnswer(absl::string_view raw_host,
                             const ResolveOptions& options);
  // The answer for a host that is no name to look up: an address in any
  // form a URL may give it, an invalid address or name, or a .onion name
  // (network.dns.blockDotOnion). Otherwise none.
  std::optional<ResolveResult> AnswerWithoutAsking(
      absl::string_view raw_host, const ResolveOptions& options) const;
  // Returns `known` from Resolve(), or completes it through `done` on the
  // network thread when the options ask for that.
  Resolver::Started Deliver(ResolveResult known, const ResolveOptions& options,
                            Completion done);
  void Cancel(RequestId id);
  void OnNetworkChanged();
  void SetCaptivePortalState(CaptivePortalState state);
  void ReportConnectFailure(absl::string_view host);
  void SetDnsSuffixes(const std::vector<std::string>& suffixes);
  uint64_t AddServerObserver(std::function<void(const ServerEvent&)> observer);
  void RemoveServerObserver(uint64_t id);
  void ClearCache() { cache_.Clear(); }
  ResolverSnapshot Snapshot();
  prefs::PrefStore& prefs() { return prefs_; }
  // False once the destructor has begun (a pref observer may destroy the
  // resolver while its change is being notified).
  std::shared_ptr<std::atomic<bool>> alive() const { return alive_; }
  // Whether the caller is on the network thread (a callback, say).
  bool OnNetworkThread() const { return loop_.IsLoopThread(); }
  // Returns once every pref change made so far is in effect on the loop.
  void WaitForPrefs() {
    loop_.RunSync([] {});
  }

 private:
  struct Waiter {
    RequestId id;
    Completion done;
  };
  struct Job {
    // Provided, so that make_shared does not zero the whole job (its unused
    // inline slots included) before the members initialize themselves.
    Job() {}
    // Its cache key, which is also its key in the job table: the host
    // name, kind, mode, TRR switch and partition (the same values as the
    // typed fields below).
    CacheKey key;
    const std::string& host() const { return key.host; }
    QueryKind kind = QueryKind::kUnspecified;
    TrrMode mode = TrrMode::kOff;
    bool disable_trr = false;
    // Most jobs have one waiter, one or two queries and parts: kept in the
    // job, with no allocation of their own.
    absl::InlinedVector<Waiter, 1> waiters;
    SkipReason skip = SkipReason::kNone;
    // Where the lookup is (Move() changes it, and only it), and where each
    // of its two paths is (StartTrr/OnTrrDone, StartNative and its
    // completion).
    JobState state = JobState::kNew;
    PathState trr_path = PathState::kNotStarted;
    PathState native_path = PathState::kNotStarted;
    bool finished() const { return state == JobState::kFinished; }
    bool trr_started() const { return trr_path != PathState::kNotStarted; }
    bool trr_done() const { return trr_path == PathState::kDone; }
    bool native_done() const { return native_path == PathState::kDone; }
    // TRR.
    int trr_pending = 0;
    absl::InlinedVector<std::pair<uint16_t, TrrOutcome>, 2> trr_parts;
    TrrOutcome trr;
    // When TRR's time is up (the mode's timeout from its start): failing
    // over to the next server happens within it.
    absl::Time trr_deadline;
    // Queries out, to cancel when the lookup finishes.
    absl::InlinedVector<
        std::pair<std::weak_ptr<DohServerState>, DohSender::RequestId>, 2>
        doh_requests;
    // A one-family lookup in mode 2 whose family gave nothing: the other
    // family is asked over TRR before the name may go native (Firefox's
    // af-fallback rule; its answer is the next TRR part), and whether it
    // had addresses.
    bool other_family_asked = false;
    bool other_family_answered = false;
    // The servers a failed exchange of this lookup already counted
    // against: one lookup counts once (health, confirmation).
    absl::InlinedVector<const DohServerState*, 2> counted_against;
    // Native, and the rule that let it run.
    NativeResult native;
    NativeReason native_reason = NativeReason::kNone;
    Timer portal_timer;
  };
  using JobPtr = std::shared_ptr<Job>;
  // The one place a job's state changes; a move the diagram in
  // docs/ARCHITECTURE.md does not have is a bug, and stops a debug build.
  static void Move(Job& job, JobState to);

  // Any thread.
  CacheKeyView KeyFor(const std::string& host, const ResolveOptions& options,
                      TrrMode mode) const;
  static ResolveResult FromCache(const CacheHitView& hit, absl::Time now,
                                 ResultSource source);

  // Loop thread.
  void ApplyPrefs();
  void StartRequest(RequestId id, std::string host, ResolveOptions options,
                    Completion done);
  // A waiter of a lookup Resolve() counted as pending got its answer.
  void Settled() { pending_.fetch_sub(1, std::memory_order_relaxed); }
  void StartJob(const JobPtr& job);
  SkipReason TrrSkipReason(const Job& job);
  void StartTrr(const JobPtr& job);
  // One DoH query of a lookup: its name (the host, or a CNAME's target),
  // type, CNAME steps so far, whether a recoverable failure may still be
  // retried, and the server list position failover goes on from.
  struct TrrQuery {
    // A CNAME's target; empty while the query is for the job's host.
    std::string cname;
    const std::string& name(const Job& job) const {
      return cname.empty() ? job.host() : cname;
    }
    uint16_t type = 0;
    int follows = 0;
    bool may_retry = true;
    size_t from_server = 0;
    // Its server left the list (a new list replaced it): it goes on on
    // the new list whether or not that is confirmed yet.
    bool moved = false;
  };
  void SendTrrQuery(const JobPtr& job, TrrQuery q);
  TrrOutcome Classify(const DohResult& result, const std::string& name,
                      uint16_t type) const;
  void OnTrrPart(const JobPtr& job, uint16_t type, TrrOutcome outcome);
  void OnTrrDone(const JobPtr& job);
  // Combines the parts into job->trr (MergeFamilies for the answers).
  void CombineTrrParts(Job& job);
  // Mode 2 (or a request opting in under mode 0) after TRR gave no usable
  // answer: fails, asks the other family first, or goes native, as
  // FallbackAfterTrr says.
  void AfterTrrFailed(const JobPtr& job);
  void StartNative(const JobPtr& job, NativeReason reason);
  void OnNativeDone(const JobPtr& job);
  void FinishWithTrr(const JobPtr& job);
  // An HTTPS answer's IP hints (read by ResolveIpHint only) and the
  // additional section's addresses of its targets (answers for those
  // names, by family) go into the cache, as Firefox keeps them.
  void CacheHttpsAddresses(const Job& job);
  void FinishWithNative(const JobPtr& job);
  void FinishWithError(const JobPtr& job, Status status);
  // Delivers `result` to the job's waiters, with `answer` (the records, or
  // the negative answer, which is the job's own) copied in and cached when
  // there is one; otherwise
  // an expired answer when every allowed path failed and serve-stale is on.
  void Finish(const JobPtr& job, ResolveResult result, HostRecord* answer);
  void CompareShadow(const JobPtr& job);
  absl::Duration TrrTimeout(const Job& job) const;
  // The servers (resolver_servers.cc), after prefs with `effects`
  // (pref_rules.h) changed. Every server it makes, or whose transport it
  // configures anew, starts its own confirmation; it returns whether it
  // did either.
  bool ApplyServers(const Settings& old, bool first, uint32_t effects);
  DohConfig TransportConfig(const DohServerState& server) const;
  // A server's transport: a DohTransport (or the seam's), or with
  // network.trr.use_ohttp an OhttpSender over two of them.
  std::unique_ptr<DohSender> NewTransport();
  // How every DoH query is encoded: ID 0, ECS and padding as the prefs say.
  dns::QueryOptions DohQueryOptions() const;
  // Whether the server may take lookups by its health: with one server
  // always (confirmation alone decides, as in Firefox); with several, while
  // ServerHealth says it is available.
  bool Available(const DohServerState& server) const;
  // Whether lookups in `mode` may use servers_[i] now: available and, in
  // mode 2, confirmed (or confirming optimistically), unless `moved` (a
  // query whose server left the list goes on on the new one).
  bool Usable(const DohServerState& server, TrrMode mode, bool moved) const;
  // The first usable server at or after `from`; in mode 3, or for a
  // `moved` query, when no server at all is usable, `from` itself (they
  // are tried anyway).
  std::optional<size_t> PickServer(size_t from, TrrMode mode,
                                   bool moved = false) const;
  // Why mode 2 cannot use TRR now, if it cannot: kNotConfirmed or
  // kServersUnavailable.
  std::optional<SkipReason> ServersSkipReason() const;
  // A lookup query's outcome on `server`: `failure` (kNone for an answer)
  // says whether the exchange failed (CountsAgainstServer), which counts
  // against the server's health (several servers) and confirmation (one
  // failed lookup counts once: `first_of_lookup`); `unreachable` (no
  // connection came up at all) fails confirmation, or makes one of several
  // servers unavailable, at once.
  void OnServerResult(const ServerPtr& server, TrrFailure failure,
                      bool first_of_lookup, bool unreachable,
                      absl::Duration latency);
  // Sends an NS query for `name` to `server` (confirmation, probes, DDR's
  // verification). `done` gets the answer's RCODE, or nullopt when no
  // usable answer came (inline when the name cannot be encoded), and the
  // transport's result; it is not called once the server has left the
  // list or the resolver is shutting down.
  using NsQueryCallback =
      std::function<void(const ServerPtr& server, std::optional<uint16_t> rcode,
                         const DohResult&)>;
  void SendNsQuery(const ServerPtr& server, const std::string& name,
                   NsQueryCallback done);
  void SendProbe(const ServerPtr& server);
  // What probes and verification ask for: network.trr.confirmationNS, or
  // example.com when confirmation is skipped.
  std::string ProbeName() const;
  void ScheduleProbe(const ServerPtr& server, absl::Duration after);
  void RestartConfirmation();
  void RunConfirmation(const ServerPtr& server, Confirmation::Action action);
  std::vector<DohServerInfo> ServerInfos() const;
  // Tells the server observers what changed since they were last told.
  void NotifyServerChanges(const ServerPtr& server);
  ConfirmationConfig ConfirmationSettings() const;
  // Takes a server off the list for good: its timers stop, its queries
  // are cancelled, and it is destroyed on a later turn of the loop.
  void Retire(const ServerPtr& server);
  // DDR (resolver_ddr.cc): asks the unencrypted resolver for
  // _dns.resolver.arpa SVCB, when network.trr.ddr.enabled is on in modes
  // 1, 2 and 4 (mode 3 sends no plaintext DNS). `keep_verified`: a
  // refresh, in which designations found again keep their server and its
  // state; otherwise (a new network, new prefs) discovered servers leave
  // the list at once.
  void StartDiscovery(bool keep_verified);
  void OnDesignations(NativeResult result);
  // Connects to a designated server once; it joins the list only when its
  // TLS handshake, including the check of the resolver's address, passed.
  void VerifyDesignation(const ServerPtr& server);
  void RemoveDiscovered(const std::vector<ServerPtr>& keep);
  // Heuristics (resolver_heuristics.cc): asks the native resolver for the
  // canary domain (mode 2 with the check on), and joins the DNS suffixes.
  void StartCanaryCheck();
  // Reads resolv.conf's search domains, only with split_horizon on (no
  // file is read otherwise), and joins the embedder's.
  void ReadNetworkSuffixes();
  void RebuildSuffixes();
  void ReleasePortalWaiters();
  void CancelEverything();

  const std::shared_ptr<std::atomic<bool>> alive_ =
      std::make_shared<std::atomic<bool>>(true);
  const Options options_;
  const ResolverSeams seams_;
  const Clock* const clock_;
  prefs::PrefStore prefs_;
  HostCache cache_;
  // The pref mode and IPv6 switch, for cache keys on calling threads.
  std::atomic<TrrMode> mode_{TrrMode::kOff};
  std::atomic<bool> disable_ipv6_{false};
  std::atomic<bool> block_onion_{true};
  std::atomic<bool> port_prefixed_https_{false};
  std::atomic<RequestId> next_request_{1};
  std::atomic<uint64_t> cache_hits_{0};
  // Lookups handed to the loop whose waiter has no answer yet, their bound
  // (network.dns.max_pending_lookups), and those refused for it.
  std::atomic<int64_t> pending_{0};
  std::atomic<int64_t> max_pending_{10000};
  std::atomic<uint64_t> refused_{0};

  EventLoop loop_;
  // Everything below is touched on the loop thread only.
  // The prefs last applied, and what was read from them.
  prefs::PrefSnapshot applied_;
  Settings settings_;
  std::vector<ServerPtr> servers_;
  std::unique_ptr<NativeResolver> native_;
  TempBlocklist blocklist_;
  absl::flat_hash_set<std::string> etc_hosts_;
  resolver_internal::Canary canary_ = resolver_internal::Canary::kOff;
  uint64_t canary_generation_ = 0;  // a later check makes earlier ones moot
  std::vector<std::string> file_suffixes_, embedder_suffixes_, suffix_list_;
  DomainList suffixes_;
  struct Ddr {
    DdrInfo info;
    std::optional<IpAddress> resolver_ip;
    // A later discovery makes the answers of earlier ones moot.
    uint64_t generation = 0;
    std::unique_ptr<PlainDnsClient> client;
    // Designated servers being verified, not yet on the list.
    std::vector<ServerPtr> verifying;
    Timer refresh_timer;
  };
  Ddr ddr_;
  CaptivePortalState portal_ = CaptivePortalState::kUnknown;
  std::vector<JobPtr> portal_waiting_;
  // Keyed by views of each job's own key (a job is never moved and its key
  // never changes), so neither finding nor adding a job copies a string.
  absl::flat_hash_map<CacheKeyView, JobPtr> jobs_;
  absl::flat_hash_map<RequestId, JobPtr> requests_;
  // SendTrrQuery encodes into this, so a query costs no allocation.
  std::vector<uint8_t> query_buffer_;
  ResolverCounters counters_;
  Mutex server_observers_mu_;
  std::vector<std::pair<uint64_t, std::function<void(const ServerEvent&)>>>
      server_observers_ ABSL_GUARDED_BY(server_observers_mu_);
  uint64_t next_server_observer_ ABSL_GUARDED_BY(server_observers_mu_) = 1;
  prefs::PrefStore::ObserverId observer_ = 0;
  bool shutting_down_ = false;
};

}  // namespace trr

#endif  // TRR_TRR_RESOLVER_RESOLVER_IMPL_H_
