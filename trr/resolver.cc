#include "trr/resolver.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "trr/answer.h"
#include "trr/host_literal.h"
#include "trr/ohttp_sender.h"
#include "trr/pref_checks.h"
#include "trr/public_status.h"
#include "trr/resolver_impl.h"
#include "trr/resolver_testing.h"

namespace trr {

namespace resolver_internal {

Settings ReadSettings(const prefs::PrefSnapshot& p) {
  namespace keys = prefs::keys;
  Settings s;
  s.mode = TrrModeFromPref(p.Get(keys::kTrrMode));
  s.uri_text = p.Get(keys::kTrrUri);
  if (s.uri_text.empty()) {
    s.uri_text = p.Get(keys::kTrrDefaultProviderUri);
  }
  s.credentials = p.Get(keys::kTrrCredentials);
  for (absl::string_view ip : absl::StrSplit(p.Get(keys::kTrrBootstrapAddr),
                                             ',', absl::SkipWhitespace())) {
    if (auto parsed = IpAddress::Parse(ToStd(absl::StripAsciiWhitespace(ip)))) {
      s.bootstrap.push_back(*parsed);
    }
  }
  // Refused when set if malformed (the validator in Impl's constructor).
  if (auto servers = ParseServerList(s.uri_text); servers.ok()) {
    s.servers = *std::move(servers);
  }
  if (s.servers.size() == 1 && s.servers[0].bootstrap.empty()) {
    s.servers[0].bootstrap = s.bootstrap;
  }
  s.health.max_failures = p.Get(keys::kTrrServerMaxFailures);
  s.health.probe_initial =
      absl::Milliseconds(p.Get(keys::kTrrServerProbeInitialMs));
  s.health.probe_max = absl::Milliseconds(p.Get(keys::kTrrServerProbeMaxMs));
  s.ca_file = p.Get(keys::kTrrCaFile);
  s.use_get = p.Get(keys::kTrrUseGET);
  s.confirmation_ns = p.Get(keys::kTrrConfirmationNS);
  s.confirmation_timeout =
      absl::Milliseconds(p.Get(keys::kTrrConfirmationTimeoutMs));
  s.retry_initial = absl::Milliseconds(p.Get(keys::kTrrRetryTimeoutMs));
  s.retry_max = absl::Milliseconds(p.Get(keys::kTrrMaxRetryTimeoutMs));
  s.max_fails = p.Get(keys::kTrrMaxFails);
  s.temp_blocklist = p.Get(keys::kTrrTempBlocklist);
  s.blocklist_duration =
      absl::Seconds(p.Get(keys::kTrrTempBlocklistDurationSec));
  s.request_timeout = absl::Milliseconds(p.Get(keys::kTrrRequestTimeoutMs));
  s.attempt_delay =
      absl::Milliseconds(p.Get(keys::kHttpConnectionRetryTimeout));
  s.ping_timeout = absl::Milliseconds(p.Get(keys::kTrrPingTimeout));
  if (p.Get(keys::kProxyType) == 1) {
    const std::string ssl = p.Get(keys::kProxySsl);
    const std::string socks = p.Get(keys::kProxySocks);
    if (!ssl.empty() && p.Get(keys::kProxySslPort) > 0) {
      s.proxy = {ProxyConfig::Kind::kHttpConnect, ssl,
                 static_cast<uint16_t>(p.Get(keys::kProxySslPort))};
    } else if (!socks.empty() && p.Get(keys::kProxySocksPort) > 0) {
      s.proxy = {ProxyConfig::Kind::kSocks5, socks,
                 static_cast<uint16_t>(p.Get(keys::kProxySocksPort))};
    }
  }
  s.no_proxies_on = p.Get(keys::kProxyNoProxiesOn);
  s.trronly_timeout =
      absl::Milliseconds(p.Get(keys::kTrrRequestTimeoutModeTrronlyMs));
  s.strict_timeout =
      absl::Milliseconds(p.Get(keys::kTrrStrictFallbackRequestTimeoutMs));
  s.allow_rfc1918 = p.Get(keys::kTrrAllowRfc1918);
  s.disable_ecs = p.Get(keys::kTrrDisableECS);
  s.padding = p.Get(keys::kTrrPadding);
  s.padding_length = p.Get(keys::kTrrPaddingLength);
  s.early_aaaa = p.Get(keys::kTrrEarlyAAAA);
  s.wait_for_both = p.Get(keys::kTrrWaitForAAndAAAA);
  s.wait_for_portal = p.Get(keys::kTrrWaitForPortal);
  s.excluded = DomainList(p.Get(keys::kTrrExcludedDomains));
  s.builtin_excluded = DomainList(p.Get(keys::kTrrBuiltinExcludedDomains));
  s.exclude_etc_hosts = p.Get(keys::kTrrExcludeEtcHosts);
  s.strict_fallback = p.Get(keys::kTrrStrictNativeFallback);
  s.strict_allow_timeouts = p.Get(keys::kTrrStrictNativeFallbackAllowTimeouts);
  s.wait_for_confirmation = p.Get(keys::kTrrWaitForConfirmation);
  s.retry_recoverable = p.Get(keys::kTrrRetryOnRecoverableErrors);
  s.fallback_on_zero = p.Get(keys::kTrrFallbackOnZeroResponse);
  s.canary_check = p.Get(keys::kTrrCanaryDomainCheck);
  s.ddr = p.Get(keys::kTrrDdrEnabled);
  s.split_horizon = p.Get(keys::kTrrSplitHorizonMitigations);
  s.hard_fail_ede = p.Get(keys::kTrrHardFailOnExtendedError);
  s.clear_cache_on_change = p.Get(keys::kTrrClearCacheOnPrefChange);
  s.disable_ipv6 = p.Get(keys::kDnsDisableIPv6);
  s.block_onion = p.Get(keys::kDnsBlockDotOnion);
  s.port_prefixed_https = p.Get(keys::kDnsPortPrefixedQnameHttpsRr);
  s.native_nameserver = p.Get(keys::kDnsNativeNameserver);
  s.native_timeout = absl::Milliseconds(p.Get(keys::kDnsNativeTimeoutMs));
  s.max_pending = p.Get(keys::kDnsMaxPendingLookups);
  s.cache.max_entries = static_cast<size_t>(p.Get(keys::kDnsCacheEntries));
  s.cache.default_ttl = absl::Seconds(p.Get(keys::kDnsCacheExpiration));
  s.cache.grace = absl::Seconds(p.Get(keys::kDnsCacheExpirationGracePeriod));
  s.cache.serve_stale = p.Get(keys::kDnsServeStale);
  s.cache.max_stale = absl::Seconds(p.Get(keys::kDnsServeStaleMaxSec));
  // Oblivious DoH: the gateway's DoH endpoint is the one server, reached
  // through the relay only. Without a relay, a key URI and an endpoint that
  // parse there is no server: TRR is skipped (mode 3 fails), never sent in
  // the clear. Discovery would find servers to ask in the clear: it is off.
  s.use_ohttp = p.Get(keys::kTrrUseOhttp);
  if (s.use_ohttp) {
    s.uri_text = p.Get(keys::kTrrOhttpUri);
    s.servers.clear();
    auto relay = ParseDohUri(p.Get(keys::kTrrOhttpRelayUri));
    auto key_config = ParseDohUri(p.Get(keys::kTrrOhttpConfigUri));
    auto target = ParseServerList(s.uri_text);
    if (relay.ok() && key_config.ok() && target.ok() && target->size() == 1) {
      s.servers = *std::move(target);
      s.ohttp = OhttpConfig{*std::move(relay), *std::move(key_config)};
    }
    s.ddr = false;
  }
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
    case DohError::kOhttp:  // its detail says which part of it
      return TrrFailure::kOhttp;
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

}  // namespace resolver_internal

using resolver_internal::IsDotOnion;
using resolver_internal::IsLocalhost;
using resolver_internal::ModeNumber;
using resolver_internal::ReadEtcHosts;
using resolver_internal::ReadSettings;
using resolver_internal::RequestMode;

Resolver::Impl::Impl(Options options, ResolverSeams seams)
    : options_(std::move(options)),
      seams_(std::move(seams)),
      clock_(seams_.clock),
      cache_(HostCacheOptions(), seams_.clock) {
  // A server list that does not parse is refused when set, naming the
  // character it went wrong at; the previous list stays.
  auto check_servers = [](const prefs::PrefValue& value) {
    return ParseServerList(value.string_value()).status();
  };
  prefs_.SetValidator("network.trr.uri", check_servers);
  prefs_.SetValidator("network.trr.default_provider_uri", check_servers);
  prefs_.SetValidator("network.trr.ohttp.uri", check_servers);
  auto check_uri = [](const prefs::PrefValue& value) {
    if (value.string_value().empty()) return absl::OkStatus();
    return ParseDohUri(value.string_value()).status();
  };
  prefs_.SetValidator("network.trr.ohttp.relay_uri", check_uri);
  prefs_.SetValidator("network.trr.ohttp.config_uri", check_uri);
  // The other values with a shape of their own (trr/pref_checks.h).
  using StringCheck = absl::Status (*)(absl::string_view);
  const std::pair<const char*, StringCheck> checks[] = {
      {"network.trr.bootstrapAddr", pref_checks::AddressList},
      {"network.dns.native_nameserver", pref_checks::IpPort},
      {"network.trr.ca_file", pref_checks::CaFile},
      {"network.proxy.ssl", pref_checks::Host},
      {"network.proxy.socks", pref_checks::Host},
      {"network.trr.confirmationNS", pref_checks::ConfirmationName},
      {"network.trr.excluded-domains", pref_checks::DomainList},
      {"network.trr.builtin-excluded-domains", pref_checks::DomainList},
  };
  for (const auto& [name, check] : checks) {
    prefs_.SetValidator(name, [check = check](const prefs::PrefValue& value) {
      return check(value.string_value());
    });
  }
  loop_.RunSync([this] {
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
    servers_.clear();
    ddr_.verifying.clear();
    ddr_.client.reset();
    native_.reset();
  });
}

void Resolver::Impl::CancelEverything() {
  std::vector<JobPtr> jobs;
  for (auto& [key, job] : jobs_) jobs.push_back(job);
  for (const JobPtr& job : portal_waiting_) jobs.push_back(job);
  portal_waiting_.clear();
  for (const JobPtr& job : jobs) {
    FinishWithError(job, CancelledError("the resolver shut down"));
  }
  if (native_) native_->CancelAll();
  if (ddr_.client) ddr_.client->CancelAll();
  if (ddr_.refresh_timer != 0) {
    loop_.CancelTimer(ddr_.refresh_timer);
    ddr_.refresh_timer = 0;
  }
  for (const ServerPtr& server : ddr_.verifying) {
    server->transport->CancelAll();
  }
  for (const ServerPtr& server : servers_) {
    server->transport->CancelAll();
    if (server->confirmation_timer != 0) {
      loop_.CancelTimer(server->confirmation_timer);
    }
    if (server->probe_timer != 0) loop_.CancelTimer(server->probe_timer);
    server->confirmation_timer = 0;
    server->probe_timer = 0;
  }
}

void Resolver::Impl::ApplyPrefs() {
  if (shutting_down_) return;
  const Settings old = settings_;
  const bool first = !native_;
  settings_ = ReadSettings(prefs_.Snapshot());
  const Settings& now = settings_;
  mode_.store(now.mode);
  disable_ipv6_.store(now.disable_ipv6);
  block_onion_.store(now.block_onion);
  max_pending_.store(now.max_pending);
  port_prefixed_https_.store(now.port_prefixed_https);
  cache_.SetOptions(now.cache);

  const bool transport_changed =
      first || old.servers != now.servers || old.ohttp != now.ohttp ||
      old.use_get != now.use_get || old.credentials != now.credentials ||
      old.ca_file != now.ca_file;
  // New servers, and servers reached a new way, start their own
  // confirmation here: a list or bootstrap change never leaves a server
  // unconfirmed.
  const bool servers_confirming = ApplyServers(old, first);
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
  if (!servers_confirming &&
      (old.mode != now.mode || old.uri_text != now.uri_text ||
       old.confirmation_ns != now.confirmation_ns ||
       old.retry_initial != now.retry_initial ||
       old.retry_max != now.retry_max || old.max_fails != now.max_fails)) {
    RestartConfirmation();
  }
  if (!now.wait_for_portal) ReleasePortalWaiters();
  if (first || old.split_horizon != now.split_horizon) ReadNetworkSuffixes();
  if (first || old.canary_check != now.canary_check || old.mode != now.mode ||
      old.native_nameserver != now.native_nameserver) {
    StartCanaryCheck();
  }
  if (first || old.ddr != now.ddr || old.mode != now.mode ||
      old.native_nameserver != now.native_nameserver) {
    StartDiscovery(/*keep_verified=*/false);
  }
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
  CopyAnswer(record, std::max(absl::ZeroDuration(), hit.expires - now), result);
  result.source = source;
  if (record.negative == NegativeKind::kNxDomain) {
    result.status = NotFoundError("NXDOMAIN (cached)");
  } else if (record.negative == NegativeKind::kNoData) {
    result.status = NotFoundError("no records of this type (cached)");
  }
  return result;
}

Resolver::Started Resolver::Impl::Resolve(absl::string_view raw_host,
                                          const ResolveOptions& options,
                                          Completion done) {
  std::string host;
  std::optional<ResolveResult> known = AnswerAtOnce(raw_host, options, host);
  if (known) return Deliver(std::move(*known), options, std::move(done));
  if (done) {
    // Each outstanding lookup holds memory until it settles: past the
    // bound, refused at once rather than queued without limit.
    if (pending_.fetch_add(1, std::memory_order_relaxed) >=
        max_pending_.load(std::memory_order_relaxed)) {
      pending_.fetch_sub(1, std::memory_order_relaxed);
      refused_.fetch_add(1, std::memory_order_relaxed);
      ResolveResult refused;
      refused.status = ResourceExhaustedError(absl::StrCat(
          "too many lookups outstanding (network.dns.max_pending_lookups ",
          max_pending_.load(std::memory_order_relaxed), ")"));
      return Deliver(std::move(refused), options, std::move(done));
    }
  }
  const RequestId id = next_request_.fetch_add(1);
  loop_.Post([this, id, host = std::move(host), options,
              done = std::move(done)]() mutable {
    StartRequest(id, std::move(host), std::move(options), std::move(done));
  });
  Resolver::Started started;
  started.id = id;
  return started;
}

Resolver::Started Resolver::Impl::Deliver(ResolveResult known,
                                          const ResolveOptions& options,
                                          Completion done) {
  Resolver::Started started;
  if (!options.complete_async) {
    started.result = std::move(known);
    return started;
  }
  started.id = next_request_.fetch_add(1);
  loop_.Post([done = std::move(done), result = std::move(known)]() mutable {
    done.Deliver(result, /*last=*/true);
  });
  return started;
}

void Completion::Deliver(ResolveResult& result, bool last) const {
  if (wait_ == nullptr) {
    done_(result);
    return;
  }
  // Built before taking the lock the woken caller needs next: it is held
  // only for a move.
  ResolveResult taken = last ? std::move(result) : result;
  MutexLock lock(&wait_->mu);
  wait_->result = std::move(taken);
  wait_->cv.SignalAll();
}

ResolveResult Resolver::Impl::IpHintAnswer(absl::string_view raw_host,
                                           const ResolveOptions& options) {
  ResolveResult result;
  if (options.type != QueryKind::kUnspecified &&
      options.type != QueryKind::kIpv4 && options.type != QueryKind::kIpv6) {
    result.status = InvalidArgumentError(
        "IP hints are addresses: ask for both families, IPv4 or IPv6");
    return result;
  }
  if (std::optional<ResolveResult> known =
          AnswerWithoutAsking(raw_host, options)) {
    return *std::move(known);
  }
  const std::string host = NormalizeHostName(raw_host);
  ResolveOptions hint_options = options;
  hint_options.type = QueryKind::kUnspecified;
  CacheKeyView key =
      KeyFor(host, hint_options, RequestMode(mode_.load(), options.trr_mode));
  key.ip_hint = true;
  const absl::Time now = clock_->Now();
  bool found = false;
  cache_.Lookup(key, now, [&](const CacheHitView& hit) {
    result = FromCache(hit, now, ResultSource::kCache);
    found = true;
  });
  if (found && options.type != QueryKind::kUnspecified) {
    const bool v4 = options.type == QueryKind::kIpv4;
    result.addresses.erase(
        std::remove_if(result.addresses.begin(), result.addresses.end(),
                       [v4](const IpAddress& ip) { return ip.is_v4() != v4; }),
        result.addresses.end());
  }
  if (!found || result.addresses.empty()) {
    result = ResolveResult();
    result.status = NotFoundError(
        absl::StrCat("no IP hint for \"", host,
                     "\" is cached (hints come with HTTPS answers)"));
  }
  return result;
}

std::optional<ResolveResult> Resolver::Impl::AnswerWithoutAsking(
    absl::string_view raw_host, const ResolveOptions& options) const {
  // Address forms first, as a browser's URL parser reads a host: what it
  // calls an address is never sent anywhere as a name.
  const HostLiteral literal = ParseHostLiteral(raw_host);
  if (literal.kind == HostLiteral::Kind::kAddress) {
    return LiteralResult(literal.address, options.type);
  }
  ResolveResult result;
  if (literal.kind == HostLiteral::Kind::kInvalid) {
    result.status = InvalidArgumentError(absl::StrCat(
        "invalid host \"", absl::CHexEscape(raw_host), "\": ", literal.error));
    return result;
  }
  // Checked as given: normalizing drops one trailing dot, which would make
  // "a.test.." look like "a.test.".
  if (dns::WireError error = dns::CheckHostName(raw_host); !error.ok()) {
    result.status = InvalidArgumentError(
        absl::StrCat("invalid host name \"", absl::CHexEscape(raw_host),
                     "\": ", error.what, " at offset ", error.offset));
    return result;
  }
  if (block_onion_.load() && IsDotOnion(raw_host)) {
    // RFC 7686: .onion names are Tor's; no DNS resolver may be asked.
    result.status = NotFoundError(
        "a .onion name is resolved by Tor only, never by DNS (RFC 7686; "
        "network.dns.blockDotOnion)");
    result.skip_reason = SkipReason::kDotOnion;
    return result;
  }
  return std::nullopt;
}

std::optional<ResolveResult> Resolver::Impl::AnswerAtOnce(
    absl::string_view raw_host, const ResolveOptions& options,
    std::string& host) {
  if (std::optional<ResolveResult> known =
          AnswerWithoutAsking(raw_host, options)) {
    return known;
  }
  host = NormalizeHostName(raw_host);
  if (options.type == QueryKind::kHttps && options.port != 0 &&
      options.port != 443 && port_prefixed_https_.load()) {
    // The origin's port goes into the name (RFC 9460 section 9.1), and so
    // into the cache key: each port has its own answer.
    host = absl::StrCat("_", options.port, "._https.", host);
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
      result.status = NotFoundError("localhost has no such records");
    }
    return result;
  }
  if (options.bypass_cache) return std::nullopt;
  const TrrMode mode = RequestMode(mode_.load(), options.trr_mode);
  const absl::Time now = clock_->Now();
  // The answer is copied out under the cache's lock.
  std::optional<ResolveResult> cached;
  bool refresh = false;
  if (!cache_.Lookup(KeyFor(host, options, mode), now,
                     [&](const CacheHitView& hit) {
                       cached = FromCache(hit, now, ResultSource::kCache);
                       refresh = hit.refresh;
                     })) {
    return std::nullopt;
  }
  cache_hits_.fetch_add(1, std::memory_order_relaxed);
  if (refresh) {
    // The first hit in the grace period refreshes in the background.
    ResolveOptions refresh_options = options;
    refresh_options.bypass_cache = true;
    loop_.Post([this, host, refresh_options] {
      StartRequest(0, host, refresh_options, Completion());
    });
  }
  return cached;
}

void Resolver::Impl::Cancel(RequestId id) {
  loop_.Post([this, id] {
    auto it = requests_.find(id);
    if (it == requests_.end()) return;
    JobPtr job = it->second;
    requests_.erase(it);
    for (auto w = job->waiters.begin(); w != job->waiters.end(); ++w) {
      if (w->id != id) continue;
      Completion done = std::move(w->done);
      job->waiters.erase(w);
      ResolveResult result;
      result.status = CancelledError("cancelled");
      Settled();
      done.Deliver(result, /*last=*/true);
      break;
    }
    // The query goes on for the others (and fills the cache).
  });
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
    ReadNetworkSuffixes();
    // Connections made on the old network prove they still work.
    for (const ServerPtr& server : servers_) {
      server->transport->CheckConnections();
    }
    RestartConfirmation();
    StartCanaryCheck();                       // a new network: its own answer
    StartDiscovery(/*keep_verified=*/false);  // and its own designations
  });
}

void Resolver::Impl::ReportConnectFailure(absl::string_view raw_host) {
  if (!dns::CheckHostName(raw_host).ok()) return;
  std::string host = NormalizeHostName(raw_host);
  // In effect when this returns (inline on a callback).
  loop_.RunSync([this, &host] {
    if (settings_.mode != TrrMode::kFirst) return;
    cache_.RemoveTrrAnswers(host);
    blocklist_.Add(host, clock_->Now());
    ++counters_.blocklist_additions;
    ++counters_.connect_failures_reported;
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
    snapshot.taken_at = absl::ToChronoTime(clock_->WallNow());
    snapshot.mode = ModeNumber(settings_.mode);
    snapshot.uri = settings_.uri_text;
    snapshot.servers = ServerInfos();
    snapshot.canary = CanaryName(canary_);
    snapshot.ddr = ddr_.info;
    snapshot.dns_suffixes = suffix_list_;
    snapshot.confirmation_state =
        servers_.empty()
            ? std::string(ConfirmationStateName(ConfirmationState::kOff))
            : snapshot.servers.front().confirmation;
    snapshot.native_resolver = native_ ? native_->Describe() : "";
    snapshot.proxy = DescribeProxy(settings_.proxy);
    // Oblivious DoH: its relay, the gateway's key and its counters.
    if (settings_.ohttp && !servers_.empty()) {
      if (const auto* sender =
              dynamic_cast<const OhttpSender*>(servers_[0]->transport.get())) {
        snapshot.ohttp = sender->Info();
      }
    }
    // Through a proxy, the proxy resolves it.
    snapshot.doh_host_resolved_natively =
        std::any_of(servers_.begin(), servers_.end(), [&](const ServerPtr& s) {
          return s->spec.bootstrap.empty() &&
                 !IpAddress::Parse(s->spec.uri.host).has_value() &&
                 (settings_.proxy.kind == ProxyConfig::Kind::kNone ||
                  NoProxyFor(settings_.no_proxies_on, s->spec.uri.host));
        });
    snapshot.captive_portal = portal_;
    snapshot.blocklist =
        blocklist_.Entries(clock_->Now(), settings_.blocklist_duration);
    snapshot.counters = counters_;
    for (const ServerPtr& server : servers_) {
      ResolverCounters& c = snapshot.counters;
      c.confirmation_attempts += server->confirmation.attempts();
      c.confirmation_state_changes += server->confirmation.state_changes();
      const DohTransportStats stats = server->transport->stats();
      c.doh_connections += stats.connections_opened;
      c.doh_refused_streams += stats.refused;
      c.doh_retried += stats.retried;
      c.doh_window_decreases += stats.window_decreases;
      c.doh_goaways += stats.goaways;
      c.doh_ping_timeouts += stats.ping_timeouts;
      c.doh_backoff_refusals += stats.backoff_refusals;
      for (DohConnectionInfo& info : server->transport->Connections()) {
        snapshot.doh_connections.push_back(std::move(info));
      }
    }
  });
  snapshot.counters.cache_hits = cache_hits_.load();
  snapshot.counters.lookups_refused = refused_.load();
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

StatusOr<std::unique_ptr<Resolver>> Resolver::Create(Options options) {
  return ResolverFactory::Create(std::move(options), ResolverSeams());
}

StatusOr<std::unique_ptr<Resolver>> ResolverFactory::Create(
    Resolver::Options options, ResolverSeams seams) {
  if (options.native_threads < 1) {
    return InvalidArgumentError("Resolver::Options::native_threads < 1");
  }
  if (seams.clock == nullptr) seams.clock = RealClock::Get();
  auto impl =
      std::make_unique<Resolver::Impl>(std::move(options), std::move(seams));
  if (absl::Status status = impl->status(); !status.ok()) {
    return FromAbsl(status);
  }
  return std::unique_ptr<Resolver>(new Resolver(std::move(impl)));
}

Resolver::Resolver(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Resolver::~Resolver() = default;

Resolver::Started Resolver::Resolve(std::string_view host,
                                    const ResolveOptions& options,
                                    Callback done) {
  return impl_->Resolve(ToAbsl(host), options, Completion(std::move(done)));
}

ResolveResult Resolver::ResolveSync(std::string_view host,
                                    const ResolveOptions& options) {
  if (impl_->OnNetworkThread()) {
    // From a callback: the answer would need the thread that is waiting.
    ResolveResult refused;
    refused.status = FailedPreconditionError(
        "ResolveSync called on the resolver's network thread (from a "
        "callback or an observer); use Resolve there");
    return refused;
  }
  SyncWait wait;
  // An answer known at once comes back from Resolve, not the callback
  // (options are copied only when the caller asked for that).
  std::optional<ResolveOptions> sync_options;
  if (options.complete_async) {
    sync_options = options;
    sync_options->complete_async = false;
  }
  Started started = impl_->Resolve(
      ToAbsl(host), sync_options ? *sync_options : options, Completion(&wait));
  if (started.answered()) return std::move(*started.result);
  MutexLock lock(&wait.mu);
  while (!wait.result) wait.cv.Wait(&wait.mu);
  return std::move(*wait.result);
}

ResolveResult Resolver::LookupIpHint(std::string_view host,
                                     const ResolveOptions& options) {
  return impl_->IpHintAnswer(ToAbsl(host), options);
}

void Resolver::Cancel(RequestId id) { impl_->Cancel(id); }
Status Resolver::WatchPrefsFile(
    std::function<void(const StatusOr<prefs::LoadReport>&)> on_reload) {
  return FromAbsl(impl_->prefs().WatchFile(
      [on_reload = std::move(on_reload)](
          const absl::StatusOr<prefs::LoadReport>& report) {
        if (on_reload) on_reload(FromAbsl(report));
      }));
}

std::optional<prefs::EffectivePref> Resolver::GetPref(
    std::string_view name) const {
  return impl_->prefs().Lookup(ToAbsl(name));
}

uint64_t Resolver::AddPrefObserver(
    std::string_view prefix,
    std::function<void(const prefs::PrefChange&)> observer) {
  return impl_->prefs().AddPrefixObserver(ToAbsl(prefix), std::move(observer));
}

void Resolver::RemovePrefObserver(uint64_t id) {
  impl_->prefs().RemoveObserver(id);
}

Status Resolver::SetPrefs(
    const std::vector<std::pair<std::string, prefs::PrefValue>>& values) {
  absl::Status status = impl_->prefs().SetOverrides(values);
  impl_->WaitForPrefs();
  return FromAbsl(status);
}

StatusOr<prefs::LoadReport> Resolver::LoadPrefsFile(const std::string& path) {
  auto report = impl_->prefs().LoadFile(path);
  impl_->WaitForPrefs();
  return FromAbsl(std::move(report));
}

void Resolver::OnNetworkChanged() { impl_->OnNetworkChanged(); }
void Resolver::SetCaptivePortalState(CaptivePortalState state) {
  impl_->SetCaptivePortalState(state);
}
uint64_t Resolver::AddServerObserver(
    std::function<void(const ServerEvent&)> observer) {
  return impl_->AddServerObserver(std::move(observer));
}
void Resolver::RemoveServerObserver(uint64_t id) {
  impl_->RemoveServerObserver(id);
}
void Resolver::ReportConnectFailure(std::string_view host) {
  impl_->ReportConnectFailure(ToAbsl(host));
}
void Resolver::SetDnsSuffixes(const std::vector<std::string>& suffixes) {
  impl_->SetDnsSuffixes(suffixes);
}
void Resolver::ClearCache() { impl_->ClearCache(); }
ResolverSnapshot Resolver::Snapshot() const { return impl_->Snapshot(); }

}  // namespace trr
