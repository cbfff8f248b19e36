// The prefs as the resolver reads them: Settings from one snapshot of the
// store (ReadSettings), the names /etc/hosts lists, and what a change of
// them does (ApplyPrefs). Part of Resolver::Impl, on the network thread.

#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "trr/public/public_status.h"
#include "trr/resolver/pref_rules.h"
#include "trr/resolver/resolver_impl.h"
#include "trr/transport/ohttp_sender.h"

namespace trr {
namespace resolver_internal {

Settings ReadSettings(const prefs::PrefSnapshot& p) {
  Settings s;
  s.pref = p.Values();
  const prefs::PrefValues& v = s.pref;
  // Firefox's rollout layer sits under the user's choice: doh-rollout.mode
  // counts only while network.trr.mode is 0, and doh-rollout.uri only
  // while network.trr.uri is empty (TRRServiceBase's order).
  s.mode = TrrModeFromPref(v.Get(keys::kTrrMode));
  if (s.mode == TrrMode::kOff) {
    s.mode = TrrModeFromPref(v.Get(keys::kDohRolloutMode));
  }
  s.uri_text = v.Get(keys::kTrrUri);
  if (s.uri_text.empty()) s.uri_text = v.Get(keys::kDohRolloutUri);
  if (s.uri_text.empty()) {
    s.uri_text = v.Get(keys::kTrrDefaultProviderUri);
  }
  for (absl::string_view ip : absl::StrSplit(v.Get(keys::kTrrBootstrapAddr),
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
  s.health.max_failures = v.Get(keys::kTrrServerMaxFailures);
  s.health.probe_initial =
      absl::Milliseconds(v.Get(keys::kTrrServerProbeInitialMs));
  s.health.probe_max = absl::Milliseconds(v.Get(keys::kTrrServerProbeMaxMs));
  s.confirmation_timeout =
      absl::Milliseconds(v.Get(keys::kTrrConfirmationTimeoutMs));
  s.retry_initial = absl::Milliseconds(v.Get(keys::kTrrRetryTimeoutMs));
  s.retry_max = absl::Milliseconds(v.Get(keys::kTrrMaxRetryTimeoutMs));
  s.blocklist_duration =
      absl::Seconds(v.Get(keys::kTrrTempBlocklistDurationSec));
  s.request_timeout = absl::Milliseconds(v.Get(keys::kTrrRequestTimeoutMs));
  s.attempt_delay =
      absl::Milliseconds(v.Get(keys::kHttpConnectionRetryTimeout));
  s.ping_timeout = absl::Milliseconds(v.Get(keys::kTrrPingTimeout));
  if (v.Get(keys::kProxyType) == 1) {
    const std::string ssl = v.Get(keys::kProxySsl);
    const std::string socks = v.Get(keys::kProxySocks);
    if (!ssl.empty() && v.Get(keys::kProxySslPort) > 0) {
      s.proxy = {ProxyConfig::Kind::kHttpConnect, ssl,
                 static_cast<uint16_t>(v.Get(keys::kProxySslPort))};
    } else if (!socks.empty() && v.Get(keys::kProxySocksPort) > 0) {
      s.proxy = {ProxyConfig::Kind::kSocks5, socks,
                 static_cast<uint16_t>(v.Get(keys::kProxySocksPort))};
    }
  }
  s.trronly_timeout =
      absl::Milliseconds(v.Get(keys::kTrrRequestTimeoutModeTrronlyMs));
  s.strict_timeout =
      absl::Milliseconds(v.Get(keys::kTrrStrictFallbackRequestTimeoutMs));
  s.excluded = DomainList(v.Get(keys::kTrrExcludedDomains));
  s.builtin_excluded = DomainList(v.Get(keys::kTrrBuiltinExcludedDomains));
  s.ddr = v.Get(keys::kTrrDdrEnabled);
  s.native_timeout = absl::Milliseconds(v.Get(keys::kDnsNativeTimeoutMs));
  s.cache.max_entries = static_cast<size_t>(v.Get(keys::kDnsCacheEntries));
  s.cache.default_ttl = absl::Seconds(v.Get(keys::kDnsCacheExpiration));
  s.cache.grace = absl::Seconds(v.Get(keys::kDnsCacheExpirationGracePeriod));
  s.cache.serve_stale = v.Get(keys::kDnsServeStale);
  s.cache.max_stale = absl::Seconds(v.Get(keys::kDnsServeStaleMaxSec));
  // Oblivious DoH: the gateway's DoH endpoint is the one server, reached
  // through the relay only. Without a relay, a key URI and an endpoint that
  // parse there is no server: TRR is skipped (mode 3 fails), never sent in
  // the clear. Discovery would find servers to ask in the clear: it is off.
  if (v.Get(keys::kTrrUseOhttp)) {
    s.uri_text = v.Get(keys::kTrrOhttpUri);
    s.servers.clear();
    auto relay = ParseDohUri(v.Get(keys::kTrrOhttpRelayUri));
    auto key_config = ParseDohUri(v.Get(keys::kTrrOhttpConfigUri));
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

}  // namespace resolver_internal

using resolver_internal::ReadSettings;

void Resolver::Impl::ApplyPrefs() {
  if (shutting_down_) return;
  const bool first = !native_;
  prefs::PrefSnapshot snapshot = prefs_.Snapshot();
  // What changed, and so what to do (trr/resolver/pref_rules.h); at first,
  // everything.
  const uint32_t effects =
      first ? kEveryEffect : EffectsOf(snapshot.Differences(applied_));
  applied_ = std::move(snapshot);
  const Settings old = settings_;
  settings_ = ReadSettings(applied_);
  const Settings& now = settings_;
  mode_.store(now.mode);
  disable_ipv6_.store(now.pref.Get(keys::kDnsDisableIPv6));
  block_onion_.store(now.pref.Get(keys::kDnsBlockDotOnion));
  max_pending_.store(now.pref.Get(keys::kDnsMaxPendingLookups));
  port_prefixed_https_.store(now.pref.Get(keys::kDnsPortPrefixedQnameHttpsRr));
  cache_.SetOptions(now.cache);

  // New servers, and servers reached a new way, start their own
  // confirmation there: a list or bootstrap change never leaves a server
  // unconfirmed.
  const bool servers_confirming = ApplyServers(old, first, effects);
  if (effects & kNewNativeResolver) {
    if (native_) native_->CancelAll();
    auto server = ParseIpPort(now.pref.Get(keys::kDnsNativeNameserver));
    if (seams_.make_native) {
      native_ = seams_.make_native(&loop_);
    } else if (server) {
      native_ = MakePlainDnsResolver(&loop_, server->first, server->second);
    } else {
      native_ = MakeSystemResolver(&loop_, options_.native_threads);
    }
  }
  if (!first && (effects & kClearBlocklist)) blocklist_.Clear();
  if (!first && (effects & kClearCache) &&
      now.pref.Get(keys::kTrrClearCacheOnPrefChange)) {
    cache_.Clear();
  }
  if (!servers_confirming && (effects & kRestartConfirmation)) {
    RestartConfirmation();
  }
  if (!now.pref.Get(keys::kTrrWaitForPortal)) ReleasePortalWaiters();
  if (effects & kReadSuffixes) ReadNetworkSuffixes();
  if (effects & kCanaryCheck) StartCanaryCheck();
  if (effects & kDiscovery) StartDiscovery(/*keep_verified=*/false);
}

}  // namespace trr
