#include "trr/resolver.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "trr/public/public_status.h"
#include "trr/resolver/answer.h"
#include "trr/resolver/host_literal.h"
#include "trr/resolver/pref_checks.h"
#include "trr/resolver/pref_rules.h"
#include "trr/resolver/resolver_impl.h"
#include "trr/resolver/resolver_testing.h"
#include "trr/transport/ohttp_sender.h"

namespace trr {

using resolver_internal::IsDotOnion;
using resolver_internal::IsLocalhost;
using resolver_internal::ModeNumber;
using resolver_internal::ReadEtcHosts;
using resolver_internal::RequestMode;

Resolver::Impl::Impl(Options options, ResolverSeams seams)
    : options_(std::move(options)),
      seams_(std::move(seams)),
      clock_(seams_.clock),
      cache_(HostCacheOptions(), seams_.clock) {
  // Values with a shape of their own are refused when set, naming the
  // pref and what is wrong; the previous value stays (trr/resolver/
  // pref_rules.h).
  for (const PrefRule& rule : PrefRules()) {
    if (rule.check == nullptr) continue;
    prefs_.SetValidator(rule.name,
                        [check = rule.check](const prefs::PrefValue& value) {
                          return check(value.string_value());
                        });
  }
  loop_.RunSync([this] {
    etc_hosts_ = ReadEtcHosts(options_.etc_hosts_path);
    ApplyPrefs();
  });
  observer_ =
      // Every pref: the resolver reads some outside network.* (doh-rollout.*,
      // general.useragent.override, intl.accept_languages), and ApplyPrefs
      // finds what changed.
      prefs_.AddPrefixObserver("", [this](const prefs::PrefChange&) {
        // One application per batch: the observer fires once per changed pref,
        // but ApplyPrefs reads them all.
        loop_.Post([this] { ApplyPrefs(); });
      });
}

Resolver::Impl::~Impl() {
  alive_->store(false);
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
  ddr_.refresh_timer.Cancel();
  for (const ServerPtr& server : ddr_.verifying) {
    server->transport->CancelAll();
  }
  for (const ServerPtr& server : servers_) {
    server->transport->CancelAll();
    server->confirmation_timer.Cancel();
    server->probe_timer.Cancel();
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
    job->portal_timer.Cancel();
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
                  NoProxyFor(settings_.pref.Get(keys::kProxyNoProxiesOn),
                             s->spec.uri.host));
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
    if (IsSecretPref(pref.name) && pref.value.is_string() &&
        !pref.value.string_value().empty()) {
      pref.value = prefs::PrefValue("(redacted)");
    }
  }
  snapshot.cache = cache_.Dump();
  return snapshot;
}

}  // namespace trr
