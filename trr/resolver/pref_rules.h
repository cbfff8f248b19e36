// What each pref means to a running resolver beyond being read: what its
// change does (rebuild the servers, reconfigure their transports, restart
// confirmation, clear the cache...), the check its value must pass when it
// is set, and whether it is a secret the dump must not show. One table
// (pref_rules.cc), keyed by the typed names of prefs/pref_list.inc: no
// list of "what changed" is kept by hand anywhere else.

#ifndef TRR_TRR_RESOLVER_PREF_RULES_H_
#define TRR_TRR_RESOLVER_PREF_RULES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace trr {

// What a change of a pref does, as bits.
enum PrefEffect : uint32_t {
  kNoEffect = 0,
  // The server list may be new: servers whose spec changed are made anew
  // (transports, health, confirmation), the old ones' queries move over.
  kRebuildServers = 1u << 0,
  // The same servers reached another way: transports reconfigured, and
  // confirmed again.
  kReconfigureTransports = 1u << 1,
  kRestartConfirmation = 1u << 2,
  // The host cache is cleared (with network.trr.clear-cache-on-pref-change).
  kClearCache = 1u << 3,
  kClearBlocklist = 1u << 4,
  kNewNativeResolver = 1u << 5,
  kCanaryCheck = 1u << 6,
  kDiscovery = 1u << 7,
  kReadSuffixes = 1u << 8,
  kEveryEffect = (1u << 9) - 1,
};

using PrefCheck = absl::Status (*)(absl::string_view);

struct PrefRule {
  const char* name;  // a typed key's name (prefs::keys)
  uint32_t effects = kNoEffect;
  PrefCheck check = nullptr;  // for string prefs with a shape of their own
  bool secret = false;        // shown as "(redacted)"
};

// Every pref with a rule; the rest take effect by being read.
const std::vector<PrefRule>& PrefRules();
// The effects of changing these prefs, together.
uint32_t EffectsOf(const std::vector<std::string>& changed);
// Whether the dump must not show the pref's value.
bool IsSecretPref(absl::string_view name);

}  // namespace trr

#endif  // TRR_TRR_RESOLVER_PREF_RULES_H_
