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
  disable_ipv6_.store(now.disable_ipv6);
  block_onion_.store(now.block_onion);
  max_pending_.store(now.max_pending);
  port_prefixed_https_.store(now.port_prefixed_https);
  cache_.SetOptions(now.cache);

  // New servers, and servers reached a new way, start their own
  // confirmation there: a list or bootstrap change never leaves a server
  // unconfirmed.
  const bool servers_confirming = ApplyServers(old, first, effects);
  if (effects & kNewNativeResolver) {
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
  if (!first && (effects & kClearBlocklist)) blocklist_.Clear();
  if (!first && (effects & kClearCache) && now.clear_cache_on_change) {
    cache_.Clear();
  }
  if (!servers_confirming && (effects & kRestartConfirmation)) {
    RestartConfirmation();
  }
  if (!now.wait_for_portal) ReleasePortalWaiters();
  if (effects & kReadSuffixes) ReadNetworkSuffixes();
  if (effects & kCanaryCheck) StartCanaryCheck();
  if (effects & kDiscovery) StartDiscovery(/*keep_verified=*/false);
}

}  // namespace trr
