#include "trr/resolver.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/mutex.h"
#include "hostcache/host_cache.h"
#include "hostcache/host_record.h"
#include "prefs/pref_store.h"
#include "trr/confirmation.h"
#include "trr/dns/dns_types.h"
#include "trr/dns/query.h"
#include "trr/dns/response.h"
#include "trr/doh_transport.h"
#include "trr/event_loop.h"
#include "trr/native_resolver.h"
#include "trr/resolver_testing.h"
#include "trr/temp_blocklist.h"

namespace trr {

absl::string_view ResultSourceName(ResultSource source) {
  switch (source) {
    case ResultSource::kTrr:
      return "trr";
    case ResultSource::kNative:
      return "native";
    case ResultSource::kCache:
      return "cache";
    case ResultSource::kStale:
      return "stale";
    case ResultSource::kNone:
      return "none";
  }
  return "unknown";
}

const char* TrrFailureName(TrrFailure failure) {
  switch (failure) {
    case TrrFailure::kNone:
      return "";
    case TrrFailure::kNxDomain:
      return "nxdomain";
    case TrrFailure::kNoRecords:
      return "no-records";
    case TrrFailure::kBlocked:
      return "blocked";
    case TrrFailure::kPrivateAddress:
      return "private-address";
    case TrrFailure::kBadAnswer:
      return "bad-answer";
    case TrrFailure::kBadCnameTarget:
      return "bad-cname-target";
    case TrrFailure::kCnameChainTooLong:
      return "cname-chain-too-long";
    case TrrFailure::kServFail:
      return "servfail";
    case TrrFailure::kRefused:
      return "refused";
    case TrrFailure::kFormErr:
      return "formerr";
    case TrrFailure::kNotImp:
      return "notimp";
    case TrrFailure::kOtherRcode:
      return "rcode-other";
    case TrrFailure::kHttpStatus:
      return "http-status";
    case TrrFailure::kContentType:
      return "content-type";
    case TrrFailure::kTooLarge:
      return "too-large";
    case TrrFailure::kTls:
      return "tls";
    case TrrFailure::kConnect:
      return "connect";
    case TrrFailure::kTimeout:
      return "timeout";
    case TrrFailure::kReset:
      return "reset";
    case TrrFailure::kStreamRefused:
      return "stream-refused";
    case TrrFailure::kCancelled:
      return "cancelled";
    case TrrFailure::kTransportOther:
      return "transport-other";
  }
  return "";
}

absl::string_view SkipReasonName(SkipReason reason) {
  switch (reason) {
    case SkipReason::kNone:
      return "none";
    case SkipReason::kModeOff:
      return "mode-off";
    case SkipReason::kModeOffByChoice:
      return "mode-off-by-choice";
    case SkipReason::kDisabledByRequest:
      return "disabled-by-request";
    case SkipReason::kExcluded:
      return "excluded";
    case SkipReason::kEtcHosts:
      return "etc-hosts";
    case SkipReason::kLocalhost:
      return "localhost";
    case SkipReason::kBlocklisted:
      return "blocklisted";
    case SkipReason::kSingleLabel:
      return "single-label";
    case SkipReason::kNotConfirmed:
      return "not-confirmed";
    case SkipReason::kWaitingForPortal:
      return "waiting-for-portal";
    case SkipReason::kIpv6Disabled:
      return "ipv6-disabled";
    case SkipReason::kNoUri:
      return "no-uri";
  }
  return "unknown";
}

namespace {

constexpr int kMaxCnameFollows = 8;

// A request's mode: its own override, except that mode 5 ("off by
// choice") cannot be overridden.
TrrMode RequestMode(TrrMode pref_mode,
                    const std::optional<int>& override_mode) {
  if (pref_mode == TrrMode::kOffByChoice || !override_mode) return pref_mode;
  return TrrModeFromPref(*override_mode);
}

int ModeNumber(TrrMode mode) { return static_cast<int>(mode); }

// The prefs, read once per change into plain fields for the loop.
struct Settings {
  TrrMode mode = TrrMode::kOff;
  std::string uri_text;
  std::optional<DohUri> uri;
  std::string credentials;
  std::vector<IpAddress> bootstrap;
  std::string ca_file;
  bool use_get = false;
  std::string confirmation_ns;
  absl::Duration confirmation_timeout;
  absl::Duration retry_initial, retry_max;
  int max_fails = 15;
  bool temp_blocklist = true;
  absl::Duration blocklist_duration;
  absl::Duration request_timeout, trronly_timeout, strict_timeout;
  bool allow_rfc1918 = false;
  bool disable_ecs = true;
  bool padding = true;
  int padding_length = 128;
  bool early_aaaa = false;
  bool wait_for_both = true;
  bool wait_for_portal = false;
  DomainList excluded, builtin_excluded;
  bool exclude_etc_hosts = true;
  bool strict_fallback = false;
  bool strict_allow_timeouts = true;
  bool wait_for_confirmation = false;
  bool retry_recoverable = true;
  bool hard_fail_ede = true;
  bool clear_cache_on_change = true;
  bool disable_ipv6 = false;
  std::string native_nameserver;
  HostCacheOptions cache;
};

Settings ReadSettings(const prefs::PrefStore& p) {
  Settings s;
  s.mode = TrrModeFromPref(p.GetInt("network.trr.mode"));
  s.uri_text = p.GetString("network.trr.uri");
  if (s.uri_text.empty()) {
    s.uri_text = p.GetString("network.trr.default_provider_uri");
  }
  if (auto uri = ParseDohUri(s.uri_text); uri.ok()) s.uri = *uri;
  s.credentials = p.GetString("network.trr.credentials");
  for (absl::string_view ip :
       absl::StrSplit(p.GetString("network.trr.bootstrapAddr"), ',',
                      absl::SkipWhitespace())) {
    if (auto parsed = IpAddress::Parse(absl::StripAsciiWhitespace(ip))) {
      s.bootstrap.push_back(*parsed);
    }
  }
  s.ca_file = p.GetString("network.trr.ca_file");
  s.use_get = p.GetBool("network.trr.useGET");
  s.confirmation_ns = p.GetString("network.trr.confirmationNS");
  s.confirmation_timeout =
      absl::Milliseconds(p.GetInt("network.trr.confirmation_timeout_ms"));
  s.retry_initial =
      absl::Milliseconds(p.GetInt("network.trr.retry-timeout-ms"));
  s.retry_max =
      absl::Milliseconds(p.GetInt("network.trr.max-retry-timeout-ms"));
  s.max_fails = p.GetInt("network.trr.max-fails");
  s.temp_blocklist = p.GetBool("network.trr.temp_blocklist");
  s.blocklist_duration =
      absl::Seconds(p.GetInt("network.trr.temp_blocklist_duration_sec"));
  s.request_timeout =
      absl::Milliseconds(p.GetInt("network.trr.request_timeout_ms"));
  s.trronly_timeout = absl::Milliseconds(
      p.GetInt("network.trr.request_timeout_mode_trronly_ms"));
  s.strict_timeout = absl::Milliseconds(
      p.GetInt("network.trr.strict_fallback_request_timeout_ms"));
  s.allow_rfc1918 = p.GetBool("network.trr.allow-rfc1918");
  s.disable_ecs = p.GetBool("network.trr.disable-ECS");
  s.padding = p.GetBool("network.trr.padding");
  s.padding_length = p.GetInt("network.trr.padding.length");
  s.early_aaaa = p.GetBool("network.trr.early-AAAA");
  s.wait_for_both = p.GetBool("network.trr.wait-for-A-and-AAAA");
  s.wait_for_portal = p.GetBool("network.trr.wait-for-portal");
  s.excluded = DomainList(p.GetString("network.trr.excluded-domains"));
  s.builtin_excluded =
      DomainList(p.GetString("network.trr.builtin-excluded-domains"));
  s.exclude_etc_hosts = p.GetBool("network.trr.exclude-etc-hosts");
  s.strict_fallback = p.GetBool("network.trr.strict_native_fallback");
  s.strict_allow_timeouts =
      p.GetBool("network.trr.strict_native_fallback_allow_timeouts");
  s.wait_for_confirmation = p.GetBool("network.trr.wait-for-confirmation");
  s.retry_recoverable = p.GetBool("network.trr.retry_on_recoverable_errors");
  s.hard_fail_ede = p.GetBool("network.trr.hard_fail_on_extended_error");
  s.clear_cache_on_change = p.GetBool("network.trr.clear-cache-on-pref-change");
  s.disable_ipv6 = p.GetBool("network.dns.disableIPv6");
  s.native_nameserver = p.GetString("network.dns.native_nameserver");
  s.cache.max_entries =
      static_cast<size_t>(p.GetInt("network.dnsCacheEntries"));
  s.cache.default_ttl = absl::Seconds(p.GetInt("network.dnsCacheExpiration"));
  s.cache.grace =
      absl::Seconds(p.GetInt("network.dnsCacheExpirationGracePeriod"));
  s.cache.serve_stale = p.GetBool("network.dns.serve_stale");
  s.cache.max_stale =
      absl::Seconds(p.GetInt("network.dns.serve_stale.max_sec"));
  return s;
}

absl::flat_hash_set<std::string> ReadEtcHosts(const std::string& path) {
  absl::flat_hash_set<std::string> names;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    line = line.substr(0, line.find('#'));
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    for (size_t i = 1; i < fields.size(); ++i) {
      names.insert(NormalizeHostName(fields[i]));
    }
  }
  return names;
}

bool IsLocalhost(absl::string_view host) {
  return host == "localhost" || absl::EndsWith(host, ".localhost");
}

// What one TRR query (one record type) came to.
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

TrrFailure FailureFor(DohError error) {
  switch (error) {
    case DohError::kOk:
      return TrrFailure::kNone;
    case DohError::kHttpStatus:
      return TrrFailure::kHttpStatus;
    case DohError::kContentType:
      return TrrFailure::kContentType;
    case DohError::kTooLarge:
      return TrrFailure::kTooLarge;
    case DohError::kTls:
      return TrrFailure::kTls;
    case DohError::kConnect:
      return TrrFailure::kConnect;
    case DohError::kTimeout:
      return TrrFailure::kTimeout;
    case DohError::kReset:
      return TrrFailure::kReset;
    case DohError::kRefused:
      return TrrFailure::kStreamRefused;
    case DohError::kCancelled:
      return TrrFailure::kCancelled;
    case DohError::kOther:
      return TrrFailure::kTransportOther;
  }
  return TrrFailure::kTransportOther;
}

TrrFailure FailureForRcode(uint16_t rcode) {
  switch (rcode) {
    case dns::kRcodeServFail:
      return TrrFailure::kServFail;
    case dns::kRcodeRefused:
      return TrrFailure::kRefused;
    case dns::kRcodeFormErr:
      return TrrFailure::kFormErr;
    case dns::kRcodeNotImp:
      return TrrFailure::kNotImp;
    default:
      return TrrFailure::kOtherRcode;
  }
}

struct TrrOutcome {
  enum class Kind : uint8_t { kOk, kNxDomain, kNoData, kFailed, kBlocked };
  Kind kind = Kind::kFailed;
  std::vector<IpAddress> addresses;
  std::vector<SvcbRecord> https;
  std::vector<std::string> txt;
  std::string canonical_name;
  uint32_t ttl = 0;
  std::optional<uint32_t> negative_ttl;
  bool authentic_data = false;
  TrrFailure failure = TrrFailure::kNone;
  // What the server said beyond `failure`, for the result's message (an
  // Extended DNS Error, an unusual RCODE); never a counter name.
  std::string detail;
  bool network_error = false;
  bool timeout = false;
  // The answer stopped at a CNAME: ask again for canonical_name.
  bool follow_cname = false;
};

}  // namespace

// Hidden: a class nested in an exported one would be exported too.
class TRR_HIDDEN Resolver::Impl {
 public:
  Impl(Options options, ResolverSeams seams);
  ~Impl();
  // Whether its network thread runs (EventLoop::status).
  absl::Status status() const { return loop_.status(); }

  RequestId Resolve(absl::string_view host, const ResolveOptions& options,
                    Callback done);
  void Cancel(RequestId id);
  void OnNetworkChanged();
  void SetCaptivePortalState(CaptivePortalState state);
  void ClearCache() { cache_.Clear(); }
  ResolverSnapshot Snapshot();
  prefs::PrefStore& prefs() { return prefs_; }
  // Returns once every pref change made so far is in effect on the loop.
  void WaitForPrefs() {
    loop_.RunSync([] {});
  }

 private:
  struct Waiter {
    RequestId id;
    Callback done;
  };
  struct Job {
    std::string key;
    std::string host;
    QueryKind kind = QueryKind::kUnspecified;
    TrrMode mode = TrrMode::kOff;
    bool disable_trr = false;
    std::string partition;
    std::vector<Waiter> waiters;
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
    std::vector<std::pair<uint16_t, TrrOutcome>> trr_parts;
    TrrOutcome trr;
    std::vector<DohTransport::RequestId> doh_requests;
    // Native.
    NativeResult native;
    EventLoop::TimerId portal_timer = 0;
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
                    Callback done);
  void StartJob(const JobPtr& job);
  SkipReason TrrSkipReason(const Job& job);
  void StartTrr(const JobPtr& job);
  void SendTrrQuery(const JobPtr& job, const std::string& name, uint16_t type,
                    int follows, bool may_retry);
  TrrOutcome Classify(const DohResult& result, const std::string& name,
                      uint16_t type) const;
  void OnTrrPart(const JobPtr& job, uint16_t type, TrrOutcome outcome);
  void OnTrrDone(const JobPtr& job);
  void StartNative(const JobPtr& job);
  void OnNativeDone(const JobPtr& job);
  void FinishWithTrr(const JobPtr& job);
  void FinishWithNative(const JobPtr& job);
  void FinishWithError(const JobPtr& job, absl::Status status);
  // What a finished lookup leaves in the cache.
  enum class Cached : uint8_t { kNothing, kAnswer, kNxDomain, kNoData };
  static Cached CacheAs(TrrOutcome::Kind kind);
  void Finish(const JobPtr& job, ResolveResult result, Cached cached);
  void CompareShadow(const JobPtr& job);
  absl::Duration TrrTimeout(const Job& job) const;
  void RestartConfirmation();
  void RunConfirmation(Confirmation::Action action);
  void ReleasePortalWaiters();
  void CancelEverything();

  const Options options_;
  const ResolverSeams seams_;
  const Clock* const clock_;
  prefs::PrefStore prefs_;
  HostCache cache_;
  // The pref mode and IPv6 switch, for cache keys on calling threads.
  std::atomic<TrrMode> mode_{TrrMode::kOff};
  std::atomic<bool> disable_ipv6_{false};
  std::atomic<RequestId> next_request_{1};
  std::atomic<uint64_t> cache_hits_{0};

  EventLoop loop_;
  // Everything below is touched on the loop thread only.
  Settings settings_;
  std::unique_ptr<DohSender> transport_;
  std::unique_ptr<NativeResolver> native_;
  Confirmation confirmation_;
  EventLoop::TimerId confirmation_timer_ = 0;
  TempBlocklist blocklist_;
  absl::flat_hash_set<std::string> etc_hosts_;
  CaptivePortalState portal_ = CaptivePortalState::kUnknown;
  std::vector<JobPtr> portal_waiting_;
  absl::flat_hash_map<std::string, JobPtr> jobs_;
  absl::flat_hash_map<RequestId, JobPtr> requests_;
  ResolverCounters counters_;
  prefs::PrefStore::ObserverId observer_ = 0;
  bool shutting_down_ = false;
};

Resolver::Impl::Impl(Options options, ResolverSeams seams)
    : options_(std::move(options)),
      seams_(std::move(seams)),
      clock_(options_.clock),
      cache_(HostCacheOptions(), options_.clock) {
  loop_.RunSync([this] {
    transport_ = seams_.make_transport ? seams_.make_transport(&loop_)
                                       : std::make_unique<DohTransport>(&loop_);
    etc_hosts_ = ReadEtcHosts(options_.etc_hosts_path);
    ApplyPrefs();
  });
  observer_ =
      prefs_.AddPrefixObserver("network.", [this](const prefs::PrefChange&) {
        // One application per batch: the observer fires once per changed pref,
        // but ApplyPrefs reads them all.
        loop_.Post([this] { ApplyPrefs(); });
      });
}

Resolver::Impl::~Impl() {
  prefs_.RemoveObserver(observer_);
  prefs_.StopWatching();
  loop_.RunSync([this] {
    shutting_down_ = true;
    CancelEverything();
    transport_.reset();
    native_.reset();
  });
}

void Resolver::Impl::CancelEverything() {
  std::vector<JobPtr> jobs;
  for (auto& [key, job] : jobs_) jobs.push_back(job);
  for (const JobPtr& job : portal_waiting_) jobs.push_back(job);
  portal_waiting_.clear();
  for (const JobPtr& job : jobs) {
    FinishWithError(job, absl::CancelledError("the resolver shut down"));
  }
  if (native_) native_->CancelAll();
  if (transport_) transport_->CancelAll();
  if (confirmation_timer_ != 0) loop_.CancelTimer(confirmation_timer_);
  confirmation_timer_ = 0;
}

void Resolver::Impl::ApplyPrefs() {
  if (shutting_down_) return;
  const Settings old = settings_;
  const bool first = !native_;
  settings_ = ReadSettings(prefs_);
  const Settings& now = settings_;
  mode_.store(now.mode);
  disable_ipv6_.store(now.disable_ipv6);
  cache_.SetOptions(now.cache);

  const bool transport_changed =
      first || old.uri_text != now.uri_text || old.use_get != now.use_get ||
      old.credentials != now.credentials || old.ca_file != now.ca_file ||
      old.bootstrap != now.bootstrap;
  if (transport_changed) {
    DohConfig config;
    if (now.uri) config.uri = *now.uri;
    config.use_get = now.use_get;
    config.bootstrap = now.bootstrap;
    config.ca_file = now.ca_file;
    config.credentials = now.credentials;
    transport_->Configure(std::move(config));
  }
  if (first || old.native_nameserver != now.native_nameserver) {
    if (native_) native_->CancelAll();
    auto server = ParseIpPort(now.native_nameserver);
    if (seams_.make_native) {
      native_ = seams_.make_native(&loop_);
    } else if (server) {
      native_ = MakePlainDnsResolver(&loop_, server->first, server->second);
    } else {
      native_ = MakeSystemResolver(&loop_, options_.native_threads);
    }
  }
  if (!first && old.uri_text != now.uri_text) blocklist_.Clear();
  const bool trr_prefs_changed = transport_changed || old.mode != now.mode ||
                                 old.confirmation_ns != now.confirmation_ns ||
                                 old.allow_rfc1918 != now.allow_rfc1918 ||
                                 old.disable_ipv6 != now.disable_ipv6;
  if (!first && trr_prefs_changed && now.clear_cache_on_change) cache_.Clear();
  if (first || old.mode != now.mode || old.uri_text != now.uri_text ||
      old.confirmation_ns != now.confirmation_ns) {
    RestartConfirmation();
  }
  if (!now.wait_for_portal) ReleasePortalWaiters();
}

// --- Calling threads ---------------------------------------------------------

CacheKeyView Resolver::Impl::KeyFor(const std::string& host,
                                    const ResolveOptions& options,
                                    TrrMode mode) const {
  CacheKeyView key;
  key.host = host;
  key.kind = options.type;
  key.trr_mode = static_cast<uint8_t>(mode);
  key.trr_disabled = options.disable_trr;
  key.partition = options.partition;
  return key;
}

ResolveResult Resolver::Impl::FromCache(const CacheHitView& hit, absl::Time now,
                                        ResultSource source) {
  ResolveResult result;
  const HostRecord& record = hit.record;
  result.addresses = record.addresses;
  result.https = record.https;
  result.txt = record.txt;
  result.canonical_name = record.canonical_name;
  result.authentic_data = record.authentic_data;
  result.ttl = std::max(absl::ZeroDuration(), hit.expires - now);
  result.source = source;
  if (record.negative == NegativeKind::kNxDomain) {
    result.status = absl::NotFoundError("NXDOMAIN (cached)");
  } else if (record.negative == NegativeKind::kNoData) {
    result.status = absl::NotFoundError("no records of this type (cached)");
  }
  return result;
}

Resolver::RequestId Resolver::Impl::Resolve(absl::string_view raw_host,
                                            const ResolveOptions& options,
                                            Callback done) {
  const RequestId id = next_request_.fetch_add(1);
  std::string host = NormalizeHostName(raw_host);
  if (dns::WireError error = dns::CheckHostName(host); !error.ok()) {
    ResolveResult result;
    result.status = absl::InvalidArgumentError(
        absl::StrCat("invalid host name \"", raw_host, "\": ", error.what,
                     " at offset ", error.offset));
    done(result);
    return id;
  }
  if (IsLocalhost(host)) {
    // Always loopback, without any query (RFC 6761 section 6.3).
    ResolveResult result;
    result.source = ResultSource::kNative;
    result.skip_reason = SkipReason::kLocalhost;
    result.canonical_name = host;
    if (options.type != QueryKind::kIpv6) {
      result.addresses.push_back(IpAddress::V4(127, 0, 0, 1));
    }
    if (options.type != QueryKind::kIpv4 && !disable_ipv6_.load()) {
      result.addresses.push_back(*IpAddress::Parse("::1"));
    }
    if (options.type == QueryKind::kHttps || options.type == QueryKind::kTxt) {
      result.addresses.clear();
      result.status = absl::NotFoundError("localhost has no such records");
    }
    done(result);
    return id;
  }
  const TrrMode mode = RequestMode(mode_.load(), options.trr_mode);
  if (!options.bypass_cache) {
    const absl::Time now = clock_->Now();
    // The answer is copied out under the cache's lock and delivered after.
    std::optional<ResolveResult> cached;
    bool refresh = false;
    if (cache_.Lookup(KeyFor(host, options, mode), now,
                      [&](const CacheHitView& hit) {
                        cached = FromCache(hit, now, ResultSource::kCache);
                        refresh = hit.refresh;
                      })) {
      cache_hits_.fetch_add(1, std::memory_order_relaxed);
      if (refresh) {
        // The first hit in the grace period refreshes in the background.
        ResolveOptions refresh_options = options;
        refresh_options.bypass_cache = true;
        loop_.Post([this, host, refresh_options] {
          StartRequest(0, host, refresh_options, nullptr);
        });
      }
      done(*cached);
      return id;
    }
  }
  loop_.Post([this, id, host = std::move(host), options,
              done = std::move(done)]() mutable {
    StartRequest(id, std::move(host), std::move(options), std::move(done));
  });
  return id;
}

void Resolver::Impl::Cancel(RequestId id) {
  loop_.Post([this, id] {
    auto it = requests_.find(id);
    if (it == requests_.end()) return;
    JobPtr job = it->second;
    requests_.erase(it);
    for (auto w = job->waiters.begin(); w != job->waiters.end(); ++w) {
      if (w->id != id) continue;
      Callback done = std::move(w->done);
      job->waiters.erase(w);
      ResolveResult result;
      result.status = absl::CancelledError("cancelled");
      done(result);
      break;
    }
    // The query goes on for the others (and fills the cache).
  });
}

// --- The loop
// ------------------------------------------------------------------

void Resolver::Impl::StartRequest(RequestId id, std::string host,
                                  ResolveOptions options, Callback done) {
  if (shutting_down_) {
    if (done) {
      ResolveResult result;
      result.status = absl::CancelledError("the resolver shut down");
      done(result);
    }
    return;
  }
  const TrrMode mode = RequestMode(settings_.mode, options.trr_mode);
  const CacheKeyView key = KeyFor(host, options, mode);
  const std::string job_key =
      absl::StrCat(host, "|", static_cast<int>(key.kind), "|", ModeNumber(mode),
                   "|", key.trr_disabled, "|", options.partition);
  auto [it, created] = jobs_.try_emplace(job_key);
  if (created) {
    it->second = std::make_shared<Job>();
    Job& job = *it->second;
    job.key = job_key;
    job.host = host;
    job.kind = options.type;
    job.mode = mode;
    job.disable_trr = options.disable_trr;
    job.partition = options.partition;
  }
  JobPtr job = it->second;
  if (done) {
    job->waiters.push_back(Waiter{id, std::move(done)});
    requests_[id] = job;
  }
  if (created) {
    ++counters_.lookups_by_mode[ModeNumber(mode)];
    StartJob(job);
  }
}

SkipReason Resolver::Impl::TrrSkipReason(const Job& job) {
  const Settings& s = settings_;
  if (job.mode == TrrMode::kOff) return SkipReason::kModeOff;
  if (job.mode == TrrMode::kOffByChoice) return SkipReason::kModeOffByChoice;
  if (job.disable_trr && job.mode != TrrMode::kOnly) {
    return SkipReason::kDisabledByRequest;
  }
  if (s.excluded.Matches(job.host) || s.builtin_excluded.Matches(job.host)) {
    return SkipReason::kExcluded;
  }
  if (s.exclude_etc_hosts && etc_hosts_.contains(job.host)) {
    return SkipReason::kEtcHosts;
  }
  if (!s.uri) return SkipReason::kNoUri;
  if (job.mode == TrrMode::kOnly) {
    // Mode 3 waits for the portal rather than go native.
    return SkipReason::kNone;
  }
  if (s.wait_for_portal && portal_ != CaptivePortalState::kClear) {
    return SkipReason::kWaitingForPortal;
  }
  if (job.mode == TrrMode::kFirst) {
    if (job.host.find('.') == std::string::npos)
      return SkipReason::kSingleLabel;
    if (s.temp_blocklist && blocklist_.IsBlocked(job.host, clock_->Now())) {
      return SkipReason::kBlocklisted;
    }
    if (!confirmation_.TrrUsable(s.wait_for_confirmation)) {
      return SkipReason::kNotConfirmed;
    }
  }
  return SkipReason::kNone;
}

void Resolver::Impl::StartJob(const JobPtr& job) {
  job->skip = TrrSkipReason(*job);
  const bool trr = job->skip == SkipReason::kNone;
  switch (job->mode) {
    case TrrMode::kRace:    // both at once
    case TrrMode::kShadow:  // both, the native answer is used
      if (trr) StartTrr(job);
      StartNative(job);
      return;
    case TrrMode::kFirst:  // TRR first, native after it failed; never both
      if (trr) {
        StartTrr(job);
      } else {
        StartNative(job);
      }
      return;
    case TrrMode::kOnly:
      if (job->skip == SkipReason::kExcluded ||
          job->skip == SkipReason::kEtcHosts) {
        StartNative(job);  // the only names mode 3 resolves natively
      } else if (job->skip == SkipReason::kNoUri) {
        FinishWithError(job, absl::UnavailableError(
                                 absl::StrCat("mode 3 and no valid DoH URI (\"",
                                              settings_.uri_text, "\")")));
      } else if (settings_.wait_for_portal &&
                 portal_ != CaptivePortalState::kClear) {
        job->skip = SkipReason::kWaitingForPortal;
        Move(*job, JobState::kWaitingForPortal);
        portal_waiting_.push_back(job);
        job->portal_timer = loop_.AddTimer(TrrTimeout(*job), [this, job] {
          job->portal_timer = 0;
          portal_waiting_.erase(
              std::remove(portal_waiting_.begin(), portal_waiting_.end(), job),
              portal_waiting_.end());
          FinishWithError(job, absl::UnavailableError(
                                   "timed out waiting for the captive portal "
                                   "to be cleared"));
        });
      } else {
        StartTrr(job);
      }
      return;
    case TrrMode::kOff:
    case TrrMode::kOffByChoice:
      StartNative(job);
      return;
  }
}

absl::Duration Resolver::Impl::TrrTimeout(const Job& job) const {
  if (job.mode == TrrMode::kOnly) return settings_.trronly_timeout;
  if (settings_.strict_fallback) return settings_.strict_timeout;
  return settings_.request_timeout;
}

void Resolver::Impl::StartTrr(const JobPtr& job) {
  Move(*job, JobState::kRunning);
  job->trr_path = PathState::kRunning;
  job->skip = SkipReason::kNone;
  std::vector<uint16_t> types;
  switch (job->kind) {
    case QueryKind::kUnspecified:
      types.push_back(dns::kTypeA);
      if (!settings_.disable_ipv6) types.push_back(dns::kTypeAAAA);
      break;
    case QueryKind::kIpv4:
      types.push_back(dns::kTypeA);
      break;
    case QueryKind::kIpv6:
      if (settings_.disable_ipv6) {
        job->skip = SkipReason::kIpv6Disabled;
        FinishWithError(job, absl::NotFoundError(
                                 "IPv6 is disabled (network.dns.disableIPv6)"));
        return;
      }
      types.push_back(dns::kTypeAAAA);
      break;
    case QueryKind::kHttps:
      types.push_back(dns::kTypeHTTPS);
      break;
    case QueryKind::kTxt:
      types.push_back(dns::kTypeTXT);
      break;
  }
  job->trr_pending = static_cast<int>(types.size());
  for (uint16_t type : types) SendTrrQuery(job, job->host, type, 0, true);
}

void Resolver::Impl::SendTrrQuery(const JobPtr& job, const std::string& name,
                                  uint16_t type, int follows, bool may_retry) {
  dns::QueryOptions options;
  options.disable_ecs = settings_.disable_ecs;
  options.padding_block =
      settings_.padding ? static_cast<uint16_t>(settings_.padding_length) : 0;
  std::vector<uint8_t> query;
  if (!dns::EncodeQuery(name, type, options, query).ok()) {
    TrrOutcome outcome;
    outcome.failure = TrrFailure::kBadCnameTarget;
    OnTrrPart(job, type, std::move(outcome));
    return;
  }
  ++counters_.doh_requests;
  const auto id = transport_->Send(
      query, TrrTimeout(*job),
      [this, job, name, type, follows, may_retry](DohResult result) {
        if (job->finished() && job->mode != TrrMode::kShadow) return;
        TrrOutcome outcome = Classify(result, name, type);
        if (outcome.kind == TrrOutcome::Kind::kFailed && may_retry &&
            settings_.retry_recoverable &&
            result.error != DohError::kCancelled &&
            (result.error == DohError::kReset ||
             result.error == DohError::kConnect)) {
          // One retry on a fresh connection before counting it a failure.
          SendTrrQuery(job, name, type, follows, false);
          return;
        }
        if (outcome.follow_cname) {
          if (follows < kMaxCnameFollows) {
            SendTrrQuery(job, outcome.canonical_name, type, follows + 1,
                         may_retry);
            return;
          }
          outcome.kind = TrrOutcome::Kind::kFailed;
          outcome.failure = TrrFailure::kCnameChainTooLong;
        }
        OnTrrPart(job, type, std::move(outcome));
      });
  job->doh_requests.push_back(id);
}

TrrOutcome Resolver::Impl::Classify(const DohResult& result,
                                    const std::string& name,
                                    uint16_t type) const {
  TrrOutcome out;
  if (!result.ok()) {
    out.failure = FailureFor(result.error);
    out.network_error =
        result.error == DohError::kConnect || result.error == DohError::kTls ||
        result.error == DohError::kReset ||
        result.error == DohError::kTimeout || result.error == DohError::kOther;
    out.timeout = result.error == DohError::kTimeout;
    return out;
  }
  dns::Response response;
  if (!dns::ParseResponse(result.body, dns::Question(name, type), response)
           .ok()) {
    out.failure = TrrFailure::kBadAnswer;
    return out;
  }
  out.authentic_data = response.authentic_data;
  out.canonical_name = response.CanonicalName();
  out.negative_ttl = response.negative_ttl;
  if (response.extended_error && settings_.hard_fail_ede) {
    const uint16_t code = response.extended_error->code;
    if (code == dns::kEdeForgedAnswer || code == dns::kEdeBlocked ||
        code == dns::kEdeCensored || code == dns::kEdeFiltered) {
      out.kind = TrrOutcome::Kind::kBlocked;
      out.failure = TrrFailure::kBlocked;
      out.detail =
          absl::StrCat("Extended DNS Error ", code,
                       response.extended_error->text.empty() ? "" : ": ",
                       response.extended_error->text);
      return out;
    }
  }
  if (response.rcode == dns::kRcodeNxDomain) {
    out.kind = TrrOutcome::Kind::kNxDomain;
    out.failure = TrrFailure::kNxDomain;
    return out;
  }
  if (response.rcode != dns::kRcodeNoError) {
    out.failure = FailureForRcode(response.rcode);
    if (out.failure == TrrFailure::kOtherRcode) {
      out.detail = dns::RcodeName(response.rcode);
    }
    return out;
  }
  out.ttl = response.ttl;
  out.addresses.assign(response.addresses.begin(), response.addresses.end());
  out.https = response.svcb;
  out.txt = response.txt;
  if (response.ends_at_cname) {
    out.follow_cname = true;
    return out;
  }
  if (out.addresses.empty() && out.https.empty() && out.txt.empty()) {
    out.kind = TrrOutcome::Kind::kNoData;
    out.failure = TrrFailure::kNoRecords;
    return out;
  }
  if (!settings_.allow_rfc1918) {
    for (const IpAddress& ip : out.addresses) {
      if (ip.IsLocal()) {
        out.kind = TrrOutcome::Kind::kFailed;
        out.failure = TrrFailure::kPrivateAddress;
        return out;
      }
    }
  }
  out.kind = TrrOutcome::Kind::kOk;
  return out;
}

void Resolver::Impl::OnTrrPart(const JobPtr& job, uint16_t type,
                               TrrOutcome outcome) {
  if (job->trr_done()) return;
  job->trr_parts.emplace_back(type, std::move(outcome));
  --job->trr_pending;
  // Unspecified lookups may finish before both families are in: A as soon
  // as it has addresses, AAAA first only with early-AAAA; unless
  // wait-for-A-and-AAAA asks for both.
  bool enough = job->trr_pending == 0;
  if (!enough && job->kind == QueryKind::kUnspecified &&
      !settings_.wait_for_both) {
    const auto& [last_type, last] = job->trr_parts.back();
    if (last.kind == TrrOutcome::Kind::kOk &&
        (last_type == dns::kTypeA || settings_.early_aaaa)) {
      enough = true;
    }
  }
  if (enough) OnTrrDone(job);
}

void Resolver::Impl::OnTrrDone(const JobPtr& job) {
  job->trr_path = PathState::kDone;
  // A before AAAA whatever order they arrived in, so answers read the same
  // every time.
  std::stable_sort(
      job->trr_parts.begin(), job->trr_parts.end(),
      [](const auto& a, const auto& b) { return a.first < b.first; });
  // Combine the families: any addresses make an answer (a family that
  // failed alongside does not matter); otherwise the most telling failure.
  TrrOutcome combined;
  bool any_ok = false, all_nx = true, all_negative = true;
  const TrrOutcome* blocked = nullptr;
  const TrrOutcome* failed = nullptr;
  for (const auto& [type, part] : job->trr_parts) {
    switch (part.kind) {
      case TrrOutcome::Kind::kOk:
        if (!any_ok) {
          combined = part;
        } else {
          combined.addresses.insert(combined.addresses.end(),
                                    part.addresses.begin(),
                                    part.addresses.end());
          combined.ttl = std::min(combined.ttl, part.ttl);
          combined.authentic_data =
              combined.authentic_data && part.authentic_data;
        }
        any_ok = true;
        all_nx = all_negative = false;
        break;
      case TrrOutcome::Kind::kNxDomain:
        break;
      case TrrOutcome::Kind::kNoData:
        all_nx = false;
        break;
      case TrrOutcome::Kind::kBlocked:
        blocked = &part;
        all_nx = all_negative = false;
        break;
      case TrrOutcome::Kind::kFailed:
        if (failed == nullptr) failed = &part;
        all_nx = all_negative = false;
        break;
    }
  }
  if (!any_ok) {
    if (blocked != nullptr) {
      combined = *blocked;
    } else if (failed != nullptr) {
      combined = *failed;
    } else {
      combined = job->trr_parts.front().second;
      combined.kind =
          all_nx ? TrrOutcome::Kind::kNxDomain : TrrOutcome::Kind::kNoData;
      combined.failure =
          all_nx ? TrrFailure::kNxDomain : TrrFailure::kNoRecords;
      for (const auto& [type, part] : job->trr_parts) {
        if (part.negative_ttl) combined.negative_ttl = part.negative_ttl;
      }
    }
  }
  (void)all_negative;
  job->trr = std::move(combined);
  const TrrOutcome& trr = job->trr;

  // Counters and confirmation: negative answers show a working resolver.
  switch (trr.kind) {
    case TrrOutcome::Kind::kOk:
    case TrrOutcome::Kind::kNoData:
      ++counters_.trr_ok;
      break;
    case TrrOutcome::Kind::kNxDomain:
      ++counters_.trr_nxdomain;
      break;
    default:
      ++counters_.trr_failures[trr.failure];
  }
  RunConfirmation(
      confirmation_.OnTrrResult(trr.kind != TrrOutcome::Kind::kFailed));

  switch (job->mode) {
    case TrrMode::kRace:
      if (job->finished()) return;
      if (trr.kind == TrrOutcome::Kind::kOk) {
        ++counters_.race_trr_wins;
        FinishWithTrr(job);
      } else if (job->native_done()) {
        FinishWithNative(job);
      }
      return;
    case TrrMode::kShadow:
      if (job->native_done()) CompareShadow(job);
      return;
    case TrrMode::kOnly:
      FinishWithTrr(job);
      return;
    case TrrMode::kFirst:
    case TrrMode::kOff:  // a request that opted in
    case TrrMode::kOffByChoice:
      break;
  }
  // Mode 2 (or mode 0 with a request opting in): fall back to native?
  if (trr.kind == TrrOutcome::Kind::kOk) {
    FinishWithTrr(job);
    return;
  }
  if (trr.kind == TrrOutcome::Kind::kBlocked) {
    // The trusted resolver withheld the name on purpose (RFC 8914):
    // native resolution must not route around it.
    FinishWithTrr(job);
    return;
  }
  if (trr.kind == TrrOutcome::Kind::kFailed && trr.network_error &&
      settings_.strict_fallback &&
      !(trr.timeout && settings_.strict_allow_timeouts)) {
    FinishWithTrr(job);
    return;
  }
  ++counters_.fallbacks;
  StartNative(job);
}

void Resolver::Impl::StartNative(const JobPtr& job) {
  Move(*job, JobState::kRunning);
  job->native_path = PathState::kRunning;
  QueryKind kind = job->kind;
  if (settings_.disable_ipv6) {
    if (kind == QueryKind::kUnspecified) kind = QueryKind::kIpv4;
    if (kind == QueryKind::kIpv6) {
      job->native_path = PathState::kDone;
      job->native.outcome = NativeResult::Outcome::kFailed;
      job->native.error = "IPv6 is disabled (network.dns.disableIPv6)";
      if (job->skip == SkipReason::kNone) job->skip = SkipReason::kIpv6Disabled;
      FinishWithError(job, absl::NotFoundError(job->native.error));
      return;
    }
  }
  ++counters_.native_queries;
  native_->Resolve(job->host, kind, settings_.request_timeout,
                   [this, job](NativeResult result) {
                     job->native_path = PathState::kDone;
                     job->native = std::move(result);
                     OnNativeDone(job);
                   });
}

void Resolver::Impl::OnNativeDone(const JobPtr& job) {
  const bool ok = job->native.outcome == NativeResult::Outcome::kOk;
  if (ok) {
    ++counters_.native_ok;
  } else {
    ++counters_.native_failed;
  }
  switch (job->mode) {
    case TrrMode::kRace:
      if (job->finished()) return;
      if (ok) {
        ++counters_.race_native_wins;
        FinishWithNative(job);
      } else if (job->trr_done() || !job->trr_started()) {
        FinishWithNative(job);
      }
      return;
    case TrrMode::kShadow:  // the native answer is the one used
      FinishWithNative(job);
      if (job->trr_done()) CompareShadow(job);
      return;
    case TrrMode::kFirst:
    case TrrMode::kOnly:
    case TrrMode::kOff:
    case TrrMode::kOffByChoice:
      break;
  }
  // A name where TRR failed and native worked skips TRR for a while.
  if (ok && job->trr_done() && job->trr.kind != TrrOutcome::Kind::kOk &&
      settings_.temp_blocklist && job->mode == TrrMode::kFirst) {
    blocklist_.Add(job->host, clock_->Now(), settings_.blocklist_duration);
    ++counters_.blocklist_additions;
  }
  FinishWithNative(job);
}

void Resolver::Impl::CompareShadow(const JobPtr& job) {
  if (job->trr.kind != TrrOutcome::Kind::kOk) {
    ++counters_.shadow_trr_failed;
    return;
  }
  // Agreement: the two answers share an address (CDNs rotate the rest).
  for (const IpAddress& ip : job->trr.addresses) {
    if (std::find(job->native.addresses.begin(), job->native.addresses.end(),
                  ip) != job->native.addresses.end()) {
      ++counters_.shadow_agree;
      return;
    }
  }
  ++counters_.shadow_disagree;
}

void Resolver::Impl::FinishWithTrr(const JobPtr& job) {
  const TrrOutcome& trr = job->trr;
  ResolveResult result;
  result.source = ResultSource::kTrr;
  result.skip_reason = SkipReason::kNone;
  result.canonical_name = trr.canonical_name;
  result.authentic_data = trr.authentic_data;
  switch (trr.kind) {
    case TrrOutcome::Kind::kOk:
      result.addresses = trr.addresses;
      result.https = trr.https;
      result.txt = trr.txt;
      result.ttl = absl::Seconds(trr.ttl);
      break;
    case TrrOutcome::Kind::kNxDomain:
      result.status = absl::NotFoundError("NXDOMAIN");
      result.ttl = absl::Seconds(trr.negative_ttl.value_or(0));
      result.trr_failure = trr.failure;
      break;
    case TrrOutcome::Kind::kNoData:
      result.status = absl::NotFoundError("no records of this type (NODATA)");
      result.ttl = absl::Seconds(trr.negative_ttl.value_or(0));
      result.trr_failure = trr.failure;
      break;
    case TrrOutcome::Kind::kBlocked:
      result.status = absl::PermissionDeniedError(
          absl::StrCat("the DoH resolver blocked it (", trr.detail, ")"));
      result.trr_failure = trr.failure;
      break;
    case TrrOutcome::Kind::kFailed:
      result.status = absl::UnavailableError(
          absl::StrCat("TRR failed: ", TrrFailureName(trr.failure),
                       trr.detail.empty() ? "" : " (", trr.detail,
                       trr.detail.empty() ? "" : ")"));
      result.trr_failure = trr.failure;
      break;
  }
  Finish(job, std::move(result), CacheAs(trr.kind));
}

void Resolver::Impl::FinishWithNative(const JobPtr& job) {
  const NativeResult& native = job->native;
  ResolveResult result;
  result.source = ResultSource::kNative;
  result.skip_reason = job->skip;
  result.canonical_name = native.canonical_name;
  if (job->trr_done() && job->trr.kind != TrrOutcome::Kind::kOk) {
    result.trr_failure = job->trr.failure;
  }
  Cached cached = Cached::kAnswer;
  switch (native.outcome) {
    case NativeResult::Outcome::kOk:
      result.addresses = native.addresses;
      result.https = native.https;
      result.txt = native.txt;
      result.ttl = native.ttl_seconds ? absl::Seconds(*native.ttl_seconds)
                                      : settings_.cache.default_ttl;
      break;
    case NativeResult::Outcome::kNxDomain:
      result.status = absl::NotFoundError("NXDOMAIN");
      cached = Cached::kNxDomain;
      break;
    case NativeResult::Outcome::kNoData:
      result.status = absl::NotFoundError("no records of this type (NODATA)");
      cached = Cached::kNoData;
      break;
    case NativeResult::Outcome::kFailed:
      result.status = absl::UnavailableError(
          absl::StrCat("native resolution failed: ", native.error));
      cached = Cached::kNothing;
      break;
  }
  Finish(job, std::move(result), cached);
}

void Resolver::Impl::FinishWithError(const JobPtr& job, absl::Status status) {
  ResolveResult result;
  result.status = std::move(status);
  result.skip_reason = job->skip;
  Finish(job, std::move(result), Cached::kNothing);
}

void Resolver::Impl::Move(Job& job, JobState to) {
  bool allowed = false;
  switch (job.state) {
    case JobState::kNew:
      allowed = to != JobState::kNew;
      break;
    case JobState::kWaitingForPortal:
    case JobState::kRunning:
      allowed = to == JobState::kRunning || to == JobState::kFinished;
      break;
    case JobState::kFinished:
      allowed = false;
      break;
  }
  assert(allowed && "a lookup moved where its state machine does not go");
  (void)allowed;
  job.state = to;
}

Resolver::Impl::Cached Resolver::Impl::CacheAs(TrrOutcome::Kind kind) {
  switch (kind) {
    case TrrOutcome::Kind::kOk:
      return Cached::kAnswer;
    case TrrOutcome::Kind::kNxDomain:
      return Cached::kNxDomain;
    case TrrOutcome::Kind::kNoData:
      return Cached::kNoData;
    default:
      return Cached::kNothing;
  }
}

void Resolver::Impl::Finish(const JobPtr& job, ResolveResult result,
                            Cached cached) {
  if (job->finished()) return;
  Move(*job, JobState::kFinished);
  if (job->portal_timer != 0) loop_.CancelTimer(job->portal_timer);
  // Shadow mode lets the TRR query run on, to compare.
  if (job->mode != TrrMode::kShadow) {
    for (auto id : job->doh_requests) transport_->Cancel(id);
  }
  CacheKeyView key;
  key.host = job->host;
  key.kind = job->kind;
  key.trr_mode = static_cast<uint8_t>(job->mode);
  key.trr_disabled = job->disable_trr;
  key.partition = job->partition;
  if (cached != Cached::kNothing && !shutting_down_) {
    HostRecord record;
    record.addresses = result.addresses;
    record.https = result.https;
    record.txt = result.txt;
    record.canonical_name = result.canonical_name;
    record.source = result.source == ResultSource::kTrr ? RecordSource::kTrr
                                                        : RecordSource::kNative;
    record.authentic_data = result.authentic_data;
    const bool native_without_ttl =
        result.source == ResultSource::kNative && !job->native.ttl_seconds;
    if (!native_without_ttl) {
      record.ttl_seconds =
          static_cast<uint32_t>(absl::ToInt64Seconds(result.ttl));
    }
    if (cached == Cached::kNxDomain) record.negative = NegativeKind::kNxDomain;
    if (cached == Cached::kNoData) record.negative = NegativeKind::kNoData;
    cache_.Insert(key, std::move(record));
  } else if (absl::IsUnavailable(result.status)) {
    // Every allowed path failed: an expired answer is better than none, if
    // serve-stale is on (RFC 8767).
    if (auto stale = cache_.LookupStale(key)) {
      ResolveResult from_stale =
          FromCache(stale->view(), clock_->Now(), ResultSource::kStale);
      from_stale.skip_reason = result.skip_reason;
      from_stale.trr_failure = result.trr_failure;
      result = std::move(from_stale);
      ++counters_.stale_answers;
    }
  }
  jobs_.erase(job->key);
  std::vector<Waiter> waiters = std::move(job->waiters);
  job->waiters.clear();
  for (const Waiter& waiter : waiters) requests_.erase(waiter.id);
  for (const Waiter& waiter : waiters) waiter.done(result);
}

void Resolver::Impl::RestartConfirmation() {
  if (confirmation_timer_ != 0) {
    loop_.CancelTimer(confirmation_timer_);
    confirmation_timer_ = 0;
  }
  ConfirmationConfig config;
  const TrrMode mode = settings_.mode;
  config.trr_in_use = mode != TrrMode::kOff && mode != TrrMode::kOffByChoice;
  config.confirm = mode != TrrMode::kOnly &&
                   settings_.confirmation_ns != "skip" &&
                   settings_.uri.has_value();
  config.retry_initial = settings_.retry_initial;
  config.retry_max = settings_.retry_max;
  config.max_fails = settings_.max_fails;
  RunConfirmation(confirmation_.Start(config));
}

void Resolver::Impl::RunConfirmation(Confirmation::Action action) {
  counters_.confirmation_attempts = confirmation_.attempts();
  counters_.confirmation_state_changes = confirmation_.state_changes();
  if (action.send_attempt) {
    const uint64_t attempt = *action.send_attempt;
    dns::QueryOptions options;
    options.disable_ecs = settings_.disable_ecs;
    options.padding_block =
        settings_.padding ? static_cast<uint16_t>(settings_.padding_length) : 0;
    std::vector<uint8_t> query;
    const std::string ns = NormalizeHostName(settings_.confirmation_ns);
    if (!dns::EncodeQuery(ns, dns::kTypeNS, options, query).ok()) {
      RunConfirmation(confirmation_.OnQueryResult(attempt, false));
      return;
    }
    ++counters_.doh_requests;
    transport_->Send(
        query, settings_.confirmation_timeout,
        [this, attempt, ns](DohResult result) {
          if (shutting_down_) return;
          dns::Response response;
          // NOERROR confirms, with or without records.
          const bool ok =
              result.ok() &&
              dns::ParseResponse(result.body, dns::Question(ns, dns::kTypeNS),
                                 response)
                  .ok() &&
              response.rcode == dns::kRcodeNoError;
          const ConfirmationState before = confirmation_.state();
          RunConfirmation(confirmation_.OnQueryResult(attempt, ok));
          if (ok && before != ConfirmationState::kOk &&
              confirmation_.state() == ConfirmationState::kOk) {
            blocklist_.Clear();
          }
        });
  }
  if (action.retry_after) {
    if (confirmation_timer_ != 0) loop_.CancelTimer(confirmation_timer_);
    confirmation_timer_ = loop_.AddTimer(*action.retry_after, [this] {
      confirmation_timer_ = 0;
      RunConfirmation(
          confirmation_.OnRetryTimer(confirmation_.current_attempt()));
    });
  }
}

void Resolver::Impl::ReleasePortalWaiters() {
  auto waiting = std::move(portal_waiting_);
  portal_waiting_.clear();
  for (const JobPtr& job : waiting) {
    if (job->portal_timer != 0) {
      loop_.CancelTimer(job->portal_timer);
      job->portal_timer = 0;
    }
    if (!job->finished()) StartTrr(job);
  }
}

void Resolver::Impl::OnNetworkChanged() {
  cache_.OnNetworkChange();
  loop_.Post([this] {
    etc_hosts_ = ReadEtcHosts(options_.etc_hosts_path);
    RestartConfirmation();
  });
}

void Resolver::Impl::SetCaptivePortalState(CaptivePortalState state) {
  loop_.Post([this, state] {
    const bool cleared = state == CaptivePortalState::kClear &&
                         portal_ != CaptivePortalState::kClear;
    portal_ = state;
    if (cleared) {
      RestartConfirmation();
      ReleasePortalWaiters();
    }
  });
}

ResolverSnapshot Resolver::Impl::Snapshot() {
  ResolverSnapshot snapshot;
  loop_.RunSync([&] {
    snapshot.taken_at = clock_->WallNow();
    snapshot.mode = ModeNumber(settings_.mode);
    snapshot.uri = settings_.uri_text;
    snapshot.confirmation_state =
        std::string(ConfirmationStateName(confirmation_.state()));
    snapshot.native_resolver = native_ ? native_->Describe() : "";
    snapshot.doh_host_resolved_natively =
        settings_.bootstrap.empty() && settings_.uri &&
        !IpAddress::Parse(settings_.uri->host).has_value();
    snapshot.captive_portal = portal_;
    snapshot.blocklist = blocklist_.Entries(clock_->Now());
    snapshot.counters = counters_;
    const DohTransportStats stats = transport_->stats();
    snapshot.counters.doh_connections = stats.connections_opened;
    snapshot.counters.doh_refused_streams = stats.refused;
    snapshot.counters.doh_retried = stats.retried;
    snapshot.counters.doh_window_decreases = stats.window_decreases;
    snapshot.counters.doh_goaways = stats.goaways;
    snapshot.doh_connections = transport_->Connections();
  });
  snapshot.counters.cache_hits = cache_hits_.load();
  snapshot.prefs = prefs_.Effective();
  for (prefs::EffectivePref& pref : snapshot.prefs) {
    if (pref.name == "network.trr.credentials" &&
        !pref.value.string_value().empty()) {
      pref.value = prefs::PrefValue("(redacted)");
    }
  }
  snapshot.cache = cache_.Dump();
  return snapshot;
}

// --- Resolver
// ------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<Resolver>> Resolver::Create(Options options) {
  return CreateResolverForTesting(std::move(options), ResolverSeams());
}

absl::StatusOr<std::unique_ptr<Resolver>> CreateResolverForTesting(
    Resolver::Options options, ResolverSeams seams) {
  if (options.clock == nullptr) {
    return absl::InvalidArgumentError("Resolver::Options::clock is null");
  }
  if (options.native_threads < 1) {
    return absl::InvalidArgumentError("Resolver::Options::native_threads < 1");
  }
  auto impl =
      std::make_unique<Resolver::Impl>(std::move(options), std::move(seams));
  if (absl::Status status = impl->status(); !status.ok()) return status;
  return std::unique_ptr<Resolver>(new Resolver(std::move(impl)));
}

Resolver::Resolver(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Resolver::~Resolver() = default;

Resolver::RequestId Resolver::Resolve(absl::string_view host,
                                      const ResolveOptions& options,
                                      Callback done) {
  return impl_->Resolve(host, options, std::move(done));
}

ResolveResult Resolver::ResolveSync(absl::string_view host,
                                    const ResolveOptions& options) {
  Mutex mu;
  CondVar cv;
  std::optional<ResolveResult> result;
  Resolve(host, options, [&](const ResolveResult& r) {
    MutexLock lock(&mu);
    result = r;
    cv.SignalAll();
  });
  MutexLock lock(&mu);
  while (!result) cv.Wait(&mu);
  return *result;
}

void Resolver::Cancel(RequestId id) { impl_->Cancel(id); }
absl::Status Resolver::WatchPrefsFile(
    std::function<void(const absl::StatusOr<prefs::LoadReport>&)> on_reload) {
  return impl_->prefs().WatchFile(std::move(on_reload));
}

std::optional<prefs::EffectivePref> Resolver::GetPref(
    absl::string_view name) const {
  return impl_->prefs().Lookup(name);
}

uint64_t Resolver::AddPrefObserver(
    absl::string_view prefix,
    std::function<void(const prefs::PrefChange&)> observer) {
  return impl_->prefs().AddPrefixObserver(prefix, std::move(observer));
}

void Resolver::RemovePrefObserver(uint64_t id) {
  impl_->prefs().RemoveObserver(id);
}

absl::Status Resolver::SetPrefs(
    const std::vector<std::pair<std::string, prefs::PrefValue>>& values) {
  absl::Status status = impl_->prefs().SetOverrides(values);
  impl_->WaitForPrefs();
  return status;
}

absl::StatusOr<prefs::LoadReport> Resolver::LoadPrefsFile(
    const std::string& path) {
  auto report = impl_->prefs().LoadFile(path);
  impl_->WaitForPrefs();
  return report;
}

void Resolver::OnNetworkChanged() { impl_->OnNetworkChanged(); }
void Resolver::SetCaptivePortalState(CaptivePortalState state) {
  impl_->SetCaptivePortalState(state);
}
void Resolver::ClearCache() { impl_->ClearCache(); }
ResolverSnapshot Resolver::Snapshot() const { return impl_->Snapshot(); }

}  // namespace trr
