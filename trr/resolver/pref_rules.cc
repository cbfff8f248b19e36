#include "trr/resolver/pref_rules.h"

#include "absl/container/flat_hash_map.h"
#include "prefs/pref_keys.h"
#include "trr/resolver/pref_checks.h"

namespace trr {

namespace keys = prefs::keys;

const std::vector<PrefRule>& PrefRules() {
  // What reads a pref again at every use (timeouts, the blocklist's
  // duration, strict fallback...) has no row.
  static const std::vector<PrefRule>* rules = new std::vector<PrefRule>{
      {keys::kTrrMode.name,
       kRestartConfirmation | kClearCache | kCanaryCheck | kDiscovery},
      // The server list: a new URI is a new list, a new blocklist and
      // (when the list stays the same) a new confirmation.
      {keys::kTrrUri.name,
       kRebuildServers | kRestartConfirmation | kClearCache | kClearBlocklist,
       pref_checks::ServerList},
      {keys::kDohRolloutMode.name,
       kRestartConfirmation | kClearCache | kCanaryCheck | kDiscovery},
      {keys::kDohRolloutUri.name,
       kRebuildServers | kRestartConfirmation | kClearCache | kClearBlocklist,
       pref_checks::ServerList},
      {keys::kTrrDefaultProviderUri.name,
       kRebuildServers | kRestartConfirmation | kClearCache | kClearBlocklist,
       pref_checks::ServerList},
      {keys::kTrrBootstrapAddr.name, kRebuildServers | kClearCache,
       pref_checks::AddressList},
      {keys::kTrrUseOhttp.name, kRebuildServers | kRestartConfirmation |
                                    kClearCache | kClearBlocklist | kDiscovery},
      {keys::kTrrOhttpUri.name, kRebuildServers | kClearCache,
       pref_checks::ServerList},
      {keys::kTrrOhttpRelayUri.name, kRebuildServers | kClearCache,
       pref_checks::OptionalDohUri},
      {keys::kTrrOhttpConfigUri.name, kRebuildServers | kClearCache,
       pref_checks::OptionalDohUri},
      // How the servers are reached.
      {keys::kTrrCredentials.name, kReconfigureTransports | kClearCache,
       pref_checks::HeaderValue, /*secret=*/true},
      // The headers of DoH requests.
      {keys::kTrrSendEmptyAcceptEncoding.name, kReconfigureTransports},
      {keys::kTrrSendUserAgent.name, kReconfigureTransports},
      {keys::kTrrSendAcceptLanguage.name, kReconfigureTransports},
      {keys::kUserAgentOverride.name, kReconfigureTransports,
       pref_checks::HeaderValue},
      {keys::kAcceptLanguages.name, kReconfigureTransports,
       pref_checks::HeaderValue},
      {keys::kTrrCaFile.name, kReconfigureTransports | kClearCache,
       pref_checks::CaFile},
      {keys::kTrrUseGET.name, kReconfigureTransports | kClearCache},
      {keys::kHttpConnectionRetryTimeout.name, kReconfigureTransports},
      {keys::kTrrPingTimeout.name, kReconfigureTransports},
      {keys::kTrrServerProbeInitialMs.name, kReconfigureTransports},
      {keys::kProxyType.name, kReconfigureTransports},
      {keys::kProxySsl.name, kReconfigureTransports, pref_checks::Host},
      {keys::kProxySslPort.name, kReconfigureTransports},
      {keys::kProxySocks.name, kReconfigureTransports, pref_checks::Host},
      {keys::kProxySocksPort.name, kReconfigureTransports},
      {keys::kProxyNoProxiesOn.name, kReconfigureTransports},
      // Confirmation.
      {keys::kTrrConfirmationNS.name, kRestartConfirmation | kClearCache,
       pref_checks::ConfirmationName},
      {keys::kTrrRetryTimeoutMs.name, kRestartConfirmation},
      {keys::kTrrMaxRetryTimeoutMs.name, kRestartConfirmation},
      {keys::kTrrMaxFails.name, kRestartConfirmation},
      // What an answer means.
      {keys::kTrrAllowRfc1918.name, kClearCache},
      {keys::kDnsDisableIPv6.name, kClearCache},
      // The native side and the network's heuristics.
      {keys::kDnsNativeNameserver.name,
       kNewNativeResolver | kCanaryCheck | kDiscovery, pref_checks::IpPort},
      {keys::kTrrCanaryDomainCheck.name, kCanaryCheck},
      {keys::kTrrDdrEnabled.name, kDiscovery},
      {keys::kTrrSplitHorizonMitigations.name, kReadSuffixes},
      {keys::kTrrExcludedDomains.name, kNoEffect, pref_checks::DomainList},
      {keys::kTrrBuiltinExcludedDomains.name, kNoEffect,
       pref_checks::DomainList},
  };
  return *rules;
}

namespace {

const absl::flat_hash_map<absl::string_view, const PrefRule*>& RulesByName() {
  static const auto* by_name = [] {
    auto* map = new absl::flat_hash_map<absl::string_view, const PrefRule*>;
    for (const PrefRule& rule : PrefRules()) (*map)[rule.name] = &rule;
    return map;
  }();
  return *by_name;
}

}  // namespace

uint32_t EffectsOf(const std::vector<std::string>& changed) {
  uint32_t effects = kNoEffect;
  for (const std::string& name : changed) {
    auto it = RulesByName().find(name);
    if (it != RulesByName().end()) effects |= it->second->effects;
  }
  return effects;
}

bool IsSecretPref(absl::string_view name) {
  auto it = RulesByName().find(name);
  return it != RulesByName().end() && it->second->secret;
}

}  // namespace trr
